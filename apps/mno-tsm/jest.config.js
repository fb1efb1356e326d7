module.exports = {
  displayName: 'mno-tsm',
  preset: '../../jest.preset.js',
  rootDir: '.',
};
