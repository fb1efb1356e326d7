module.exports = {
  displayName: 'scenario',
  preset: '../../jest.preset.js',
  rootDir: '.',
};
