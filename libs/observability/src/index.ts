export * from './lib/context';
export * from './lib/logger';
export * from './lib/metrics';
export * from './lib/tracing';
