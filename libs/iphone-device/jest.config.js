module.exports = {
  displayName: 'iphone-device',
  preset: '../../jest.preset.js',
  rootDir: '.',
};
