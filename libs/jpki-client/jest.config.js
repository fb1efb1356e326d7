module.exports = {
  displayName: 'jpki-client',
  preset: '../../jest.preset.js',
  rootDir: '.',
};
