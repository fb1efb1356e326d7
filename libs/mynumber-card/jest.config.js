module.exports = {
  displayName: 'mynumber-card',
  preset: '../../jest.preset.js',
  rootDir: '.',
};
