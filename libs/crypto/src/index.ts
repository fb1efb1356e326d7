export * from './lib/at-rest-cipher';
export * from './lib/sealed-box';
export * from './lib/operator-token';
export * from './lib/rsa-key-pool';
