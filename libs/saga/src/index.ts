export * from './lib/saga-definition';
export * from './lib/saga-engine';
export * from './lib/saga-schema';
export * from './lib/saga-host';
export * from './lib/saga-steps';
