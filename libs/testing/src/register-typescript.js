// Jest runs global hooks in its own process, outside its transform pipeline. Compile TypeScript with
// SWC and resolve the workspace's @jpki/* aliases (another tool may have registered SWC without them).
const Module = require('node:module');
const path = require('node:path');
const { compilerOptions } = require('../../../tsconfig.base.json');

require('@swc-node/register');

const root = path.resolve(__dirname, '../../..');
const aliases = Object.fromEntries(Object.entries(compilerOptions.paths).map(([a, [t]]) => [a, path.join(root, t)]));
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return resolve.call(this, aliases[request] ?? request, ...rest);
};
