export * from './lib/at-rest-cipher';
export * from './lib/sealed-box';
