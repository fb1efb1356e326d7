module.exports = {
  displayName: 'rp-eapplication',
  preset: '../../jest.preset.js',
  rootDir: '.',
};
