export * from './lib/at-rest-cipher';
