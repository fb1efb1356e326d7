export * from './lib/config';
export * from './lib/database';
export * from './lib/http-context.middleware';
export * from './lib/http-errors';
export * from './lib/readiness';
export * from './lib/run-service';
export * from './lib/service-kit.module';
export * from './lib/zod-http';
