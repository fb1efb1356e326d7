module.exports = {
  displayName: 'uicc',
  preset: '../../jest.preset.js',
  rootDir: '.',
};
