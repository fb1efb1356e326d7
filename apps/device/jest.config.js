module.exports = {
  displayName: 'device',
  preset: '../../jest.preset.js',
  rootDir: '.',
};
