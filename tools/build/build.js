#!/usr/bin/env node
// Compiles the services (and the deploy tools the image runs) to JavaScript under dist/node/, one file per
// TypeScript source, the repository's layout kept (apps/sp-tsm/src/main.ts -> dist/node/apps/sp-tsm/src/main.js).
//
//   node tools/build/build.js                 every entry point below (npm run build)
//   node tools/build/build.js sp-tsm vsim     only these apps (their Nx `build` targets)
//   node tools/build/build.js --if-stale      compile only if a source of a requested entry changed since the last
//                                             build (the service launcher in libs/testing calls this before it starts
//                                             services from dist/node)
//
// The transform is the one `node -r @swc-node/register` applies at every start (same SWC options read from
// tsconfig.base.json by @swc-node/register, the @jpki/* aliases rewritten to relative paths), done once ahead of time.
// Only files reachable from an entry point are compiled (tests and dev tools stay out). Every package the compiled
// code requires must be a production dependency in package.json, else the build fails: the image installs
// `npm ci --omit=dev`. Plain JavaScript on purpose: it must run without a TypeScript loader.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { builtinModules } = require('node:module');

const ROOT = path.resolve(__dirname, '../..');
const OUT = path.join(ROOT, 'dist/node');
const MANIFEST = path.join(OUT, 'build-manifest.json');
/** Inputs that change the output of every file. */
const GLOBAL_INPUTS = ['tsconfig.base.json', 'tools/build/build.js'];

/** Service apps: apps/<app>/src/main.ts. */
const APPS = ['jpki-ca', 'sp-tsm', 'mno-tsm', 'se-tsm', 'vsim', 'lifecycle', 'rp-bank', 'rp-ticketing', 'rp-eapplication'];
/** Tools the image runs besides the services (key generation, topic creation and configuration). */
const TOOLS = { 'deploy-tools': ['tools/deploy/generate-keys.ts', 'tools/deploy/configure-topics.ts', 'tools/kafka/create-topics.ts'] };

function entriesOf(name) {
  if (APPS.includes(name)) return [`apps/${name}/src/main.ts`];
  if (TOOLS[name]) return TOOLS[name];
  throw new Error(`unknown build target ${name}; known: ${[...APPS, ...Object.keys(TOOLS)].join(', ')}`);
}

const stamp = (rel) => {
  try {
    const s = fs.statSync(path.join(ROOT, rel));
    return `${s.mtimeMs}:${s.size}`;
  } catch {
    return 'missing';
  }
};

function readManifest() {
  try {
    return JSON.parse(fs.readFileSync(MANIFEST, 'utf8'));
  } catch {
    return { entries: {}, stamps: {} };
  }
}

/** True when every entry was built and none of the sources it was built from (nor the build inputs) changed since. */
function isCurrent(entries, manifest = readManifest()) {
  const changed = (rel) => manifest.stamps[rel] !== stamp(rel);
  if (GLOBAL_INPUTS.some(changed)) return false;
  return entries.every((e) => {
    const files = manifest.entries[e];
    return !!files && fs.existsSync(outFile(e)) && !files.some(changed);
  });
}

const outFile = (rel) => path.join(OUT, rel.replace(/\.tsx?$/, '.js'));

function resolveSource(fromRel, spec) {
  const base = path.resolve(ROOT, path.dirname(fromRel), spec);
  for (const candidate of [`${base}.ts`, `${base}.tsx`, path.join(base, 'index.ts'), base]) {
    if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) return path.relative(ROOT, candidate);
  }
  throw new Error(`${fromRel}: cannot resolve ${spec}`);
}

function writeAtomic(file, data) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}

const packageOf = (spec) => (spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);
const builtin = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

async function build(entries) {
  // Loaded here so that `--if-stale` on a current build costs a few stat calls only.
  const { transform } = require('@swc-node/core');
  const { readDefaultTsConfig, tsCompilerOptionsToSwcConfig } = require('@swc-node/register/read-default-tsconfig');
  const tsOptions = readDefaultTsConfig(path.join(ROOT, 'tsconfig.base.json'));
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const production = new Set(Object.keys(pkg.dependencies ?? {}));

  const compiled = new Map(); // source -> relative sources it requires
  const external = new Map(); // package -> first source requiring it
  const stamps = new Map(GLOBAL_INPUTS.map((rel) => [rel, stamp(rel)]));
  const compileOne = async (rel) => {
    const abs = path.join(ROOT, rel);
    stamps.set(rel, stamp(rel)); // before reading: an edit during the build makes the next check see a change
    const { code, map } = await transform(fs.readFileSync(abs, 'utf8'), abs, tsCompilerOptionsToSwcConfig(tsOptions, abs));
    const deps = [];
    for (const [, spec] of code.matchAll(/\brequire\("([^"]+)"\)/g)) {
      if (spec.startsWith('.')) deps.push(resolveSource(rel, spec));
      else if (!builtin.has(spec) && !external.has(packageOf(spec))) external.set(packageOf(spec), rel);
    }
    const out = outFile(rel);
    if (map) {
      const m = JSON.parse(map);
      m.sources = [path.relative(path.dirname(out), abs)];
      m.file = path.basename(out);
      writeAtomic(`${out}.map`, JSON.stringify(m));
    }
    writeAtomic(out, `${code}\n//# sourceMappingURL=${path.basename(out)}.map\n`);
    compiled.set(rel, deps);
  };

  const manifest = readManifest();
  for (const entry of entries) {
    const seen = new Set([entry]);
    let level = [entry];
    while (level.length) {
      await Promise.all(level.filter((f) => !compiled.has(f)).map(compileOne));
      level = level.flatMap((f) => compiled.get(f)).filter((f) => !seen.has(f) && seen.add(f));
    }
    manifest.entries[entry] = [...seen].sort();
  }

  const dev = [...external].filter(([p]) => !production.has(p));
  if (dev.length) {
    throw new Error(
      `compiled code requires packages that are not production dependencies (the image installs --omit=dev):\n` +
        dev.map(([p, from]) => `  ${p} (from ${from})`).join('\n'),
    );
  }
  for (const [rel, s] of stamps) manifest.stamps[rel] = s;
  writeAtomic(MANIFEST, JSON.stringify(manifest, null, 1));
  return { files: compiled.size, packages: [...external.keys()].sort() };
}

async function main() {
  const args = process.argv.slice(2);
  const ifStale = args.includes('--if-stale');
  const names = args.filter((a) => !a.startsWith('--'));
  const entries = [...new Set((names.length ? names : [...APPS, ...Object.keys(TOOLS)]).flatMap(entriesOf))];
  if (ifStale && isCurrent(entries)) return;
  const t0 = Date.now();
  const { files, packages } = await build(entries);
  const quiet = args.includes('--quiet');
  if (!quiet) {
    console.log(`build: ${entries.length} entry points, ${files} files -> ${path.relative(ROOT, OUT)} in ${Date.now() - t0} ms`);
    console.log(`build: runtime packages (all production dependencies): ${packages.join(', ')}`);
  }
}

module.exports = { isCurrent, entriesOf, APPS, OUT };

if (require.main === module) {
  main().catch((err) => {
    console.error(`build failed: ${err.message}`);
    process.exit(1);
  });
}
