module.exports = {
  displayName: 'vsim',
  preset: '../../jest.preset.js',
  rootDir: '.',
};
