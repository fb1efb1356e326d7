export * from './lib/infrastructure';
export * from './lib/kafka-probe';
export * from './lib/test-run';
