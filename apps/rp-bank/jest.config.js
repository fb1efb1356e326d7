module.exports = {
  displayName: 'rp-bank',
  preset: '../../jest.preset.js',
  rootDir: '.',
};
