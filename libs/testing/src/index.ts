export * from './lib/infrastructure';
export * from './lib/kafka-probe';
export * from './lib/platform';
export * from './lib/platform-under-test';
export * from './lib/service-stack';
export * from './lib/test-run';
export * from './lib/faults';
export * from './lib/random';
