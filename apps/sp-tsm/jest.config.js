module.exports = {
  displayName: 'sp-tsm',
  preset: '../../jest.preset.js',
  rootDir: '.',
};
