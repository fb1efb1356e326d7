import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PlatformContextError } from '@jpki/jpki-client';
import { describeChoice, targetChoice } from './main';
import { scenarioTarget } from './run-scenario';

describe('the platform a scenario runs against: --context, --target (its alias) or JPKI_CONTEXT, as the other CLIs take it', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'scenario-main-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('none of them: the platform is started here; JPKI_CONTEXT names a context file; a flag wins over it', () => {
    expect(targetChoice({}, {})).toBeUndefined();
    expect(targetChoice({}, { JPKI_CONTEXT: '' })).toBeUndefined();
    expect(targetChoice({}, { JPKI_CONTEXT: 'staging.yaml' })).toEqual({ from: 'JPKI_CONTEXT', value: 'staging.yaml' });
    expect(targetChoice({ context: 'prod.yaml' }, { JPKI_CONTEXT: 'staging.yaml' })).toEqual({ from: '--context', value: 'prod.yaml' });
    expect(targetChoice({ target: 'http://127.0.0.1:7150' }, { JPKI_CONTEXT: 'staging.yaml' })).toEqual({ from: '--target', value: 'http://127.0.0.1:7150' });
    expect(targetChoice({ target: 'prod.yaml' }, {})).toEqual({ from: '--target', value: 'prod.yaml' });
    expect(describeChoice({ from: 'JPKI_CONTEXT', value: 'staging.yaml' })).toBe('JPKI_CONTEXT=staging.yaml');
    expect(describeChoice({ from: '--context', value: 'prod.yaml' })).toBe('--context prod.yaml');
  });

  it('refuses both flags, an empty value, and a URL where a context file is expected, saying what to give instead', () => {
    expect(() => targetChoice({ context: 'a.yaml', target: 'b.yaml' }, {})).toThrow('give --context <file> or --target <url|context>, not both');
    expect(() => targetChoice({ context: '' }, {})).toThrow('--context names a platform context file, but it is empty');
    expect(() => targetChoice({ target: ' ' }, {})).toThrow('--target names a jpki-ca URL or a platform context file, but it is empty');
    expect(() => targetChoice({ context: 'https://ca.example' }, {})).toThrow(
      '--context takes a platform context file, not a URL (https://ca.example): --target <url> runs against the jpki-ca at a URL',
    );
    expect(() => targetChoice({}, { JPKI_CONTEXT: 'http://127.0.0.1:7100' })).toThrow('JPKI_CONTEXT names a platform context file, not a URL');
  });

  it('the context JPKI_CONTEXT names is loaded as --context would be; a bad one is refused at its line and key', () => {
    const good = join(dir, 'staging.yaml');
    writeFileSync(good, 'name: staging\nservices:\n  jpki-ca: https://ca.staging.example\noperatorToken: { tokenEnv: STAGING_TOKEN }\n');
    const env = { JPKI_CONTEXT: good, STAGING_TOKEN: 'given' };
    const target = scenarioTarget(targetChoice({}, env)!.value, undefined, env);
    expect(target.context.name).toBe('staging');
    expect(target.context.url('jpki-ca')).toBe('https://ca.staging.example');

    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'name: bad\nservices:\n  jpki-ca: https://ca.example\n  billing: https://billing.example\noperatorToken: { tokenEnv: T }\n');
    expect(() => scenarioTarget(targetChoice({}, { JPKI_CONTEXT: bad })!.value, undefined, {})).toThrow(PlatformContextError);
    expect(() => scenarioTarget(targetChoice({ context: bad }, {})!.value, undefined, {})).toThrow(`${bad}:4:3: services.billing: unknown service`);
  });

  it('the CLI refuses a bad JPKI_CONTEXT before anything starts: exit 2, naming where it came from, and {"error","reason"} under --json', () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'name: bad\nservices:\n  jpki-ca: ftp://ca.example\noperatorToken: { tokenEnv: T }\n');
    const run = spawnSync(process.execPath, ['-r', '@swc-node/register', join(__dirname, 'main.ts'), '--json'], {
      cwd: join(__dirname, '../..'),
      env: { ...process.env, JPKI_CONTEXT: bad, LOG_LEVEL: 'fatal' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(`scenario: the target (JPKI_CONTEXT=${bad}) is refused before anything started:\n${bad}:3:12: services.jpki-ca: an http or https URL, not ftp:`);
    expect(JSON.parse(run.stdout.trim())).toEqual({ error: expect.stringContaining(`${bad}:3:12`), reason: 'CONTEXT_INVALID' });
  }, 60_000);
});
