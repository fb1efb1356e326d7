module.exports = {
  displayName: 'rp-ticketing',
  preset: '../../jest.preset.js',
  rootDir: '.',
};
