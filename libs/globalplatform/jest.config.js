module.exports = {
  displayName: 'globalplatform',
  preset: '../../jest.preset.js',
  rootDir: '.',
};
