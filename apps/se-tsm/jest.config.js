module.exports = {
  displayName: 'se-tsm',
  preset: '../../jest.preset.js',
  rootDir: '.',
};
