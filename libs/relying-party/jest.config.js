module.exports = {
  displayName: 'relying-party',
  preset: '../../jest.preset.js',
  rootDir: '.',
};
