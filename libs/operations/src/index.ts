export * from './lib/dead-letters';
export * from './lib/redrive-ledger';
export * from './lib/invariants';
export * from './lib/check-platform';
