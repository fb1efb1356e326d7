export * from './lib/endpoints';
export * from './lib/handset';
export * from './lib/http-json';
export * from './lib/jpki-ui-app';
export * from './lib/relying-party';
export * from './lib/scenario';
