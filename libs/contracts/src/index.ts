export * from './lib/topics';
export * from './lib/envelope';
export * from './lib/common';
export * from './lib/probe';
export * from './lib/ca';
export * from './lib/mno';
export * from './lib/ota';
export * from './lib/sptsm';
