export * from './lib/openssl-workspace';
