module.exports = {
  displayName: 'tsm',
  preset: '../../jest.preset.js',
  rootDir: '.',
};
