import nx from '@nx/eslint-plugin';

const scopes = ['sp-tsm', 'mno-tsm', 'se-tsm', 'vsim', 'jpki-ca', 'lifecycle', 'device', 'relying-party', 'e2e', 'console', 'tsm'];
/** What a scope may use besides shared and its own: the TSM apps run the shared TSM code. */
const extraScopes = { 'mno-tsm': ['scope:tsm'], 'se-tsm': ['scope:tsm'] };

/** Tag rules: services meet only through contracts; an app never imports another app. */
function boundaries(extraForTests) {
  const t = (tags) => [...tags, ...extraForTests];
  return {
    enforceBuildableLibDependency: true,
    allow: [],
    depConstraints: [
      { sourceTag: 'type:app', onlyDependOnLibsWithTags: t(['type:feature', 'type:contracts', 'type:infra', 'type:domain', 'type:util']) },
      { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['type:feature', 'type:contracts', 'type:infra', 'type:domain', 'type:util', 'type:testing'] },
      // Client-side flows (the JPKI-UI app, relying-party checks) over the services' public APIs.
      { sourceTag: 'type:feature', onlyDependOnLibsWithTags: t(['type:feature', 'type:contracts', 'type:infra', 'type:domain', 'type:util']) },
      { sourceTag: 'type:infra', onlyDependOnLibsWithTags: t(['type:infra', 'type:contracts', 'type:util']) },
      { sourceTag: 'type:domain', onlyDependOnLibsWithTags: t(['type:domain', 'type:util']) },
      { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: t(['type:util']) },
      { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:feature', 'type:infra', 'type:contracts', 'type:util', 'type:domain'] },
      { sourceTag: 'type:util', onlyDependOnLibsWithTags: t(['type:util']) },
      { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
      ...scopes.map((s) => ({ sourceTag: `scope:${s}`, onlyDependOnLibsWithTags: ['scope:shared', `scope:${s}`, ...(extraScopes[s] ?? [])] })),
    ],
  };
}

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  { ignores: ['**/dist', '**/node_modules', '**/tmp', '**/.kafka', '**/coverage', '**/*.js', '**/*.mjs'] },
  {
    files: ['**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': ['error', boundaries([])],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-console': ['error', { allow: ['warn', 'error'] }],
    },
  },
  {
    // Command-line programs print to the terminal.
    files: ['apps/device/**/*.ts', 'tools/**/*.ts', 'apps/*/src/cli.ts'],
    rules: { 'no-console': 'off' },
  },
  {
    files: ['**/*.spec.ts', '**/*.int-spec.ts', '**/*.e2e-spec.ts', '**/test/**/*.ts'],
    rules: {
      // Tests may also use the shared testing library (real broker and database resolution).
      '@nx/enforce-module-boundaries': ['error', boundaries(['type:testing'])],
      '@typescript-eslint/no-non-null-assertion': 'off',
      'no-console': 'off',
    },
  },
];
