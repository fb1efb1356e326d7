// One Jest run over every project (unit, integration and end-to-end), so the summary counts all tests.
const { getJestProjectsAsync } = require('@nx/jest');

module.exports = async () => ({
  projects: await getJestProjectsAsync(),
  testTimeout: 30_000,
  globalSetup: '<rootDir>/libs/testing/src/jest-global-setup.js',
  globalTeardown: '<rootDir>/libs/testing/src/jest-global-teardown.js',
});
