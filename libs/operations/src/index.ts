export * from './lib/dead-letters';
export * from './lib/redrive-ledger';
export * from './lib/invariants';
export * from './lib/check-platform';
export * from './lib/platform-services';
export * from './lib/card-registries';
export * from './lib/certificate-status';
export * from './lib/audit-chain';
