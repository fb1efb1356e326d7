module.exports = {
  displayName: 'jpki-ca',
  preset: '../../jest.preset.js',
  rootDir: '.',
};
