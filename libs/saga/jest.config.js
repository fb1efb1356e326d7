module.exports = {
  displayName: 'saga',
  preset: '../../jest.preset.js',
  rootDir: '.',
};
