import { generateKeyPairSync } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOCAL_KAFKA } from '@jpki/messaging';
import { LOCAL_PLATFORM_CONTEXT, loadPlatformContext, parsePlatformContext, platformContextAt, PlatformContextError } from './platform-context';

const CONTEXTS = join(__dirname, '../../../../tools/contexts');
const grant = { sub: 'cli-operator', roles: 'operator', audience: ['lifecycle'] };
const idpKey = () => generateKeyPairSync('ed25519').privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64');
const claims = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'));

/** The problems a context text is refused for. */
function problems(text: string): string[] {
  try {
    parsePlatformContext(text, 'ctx.yaml');
  } catch (error) {
    return (error as PlatformContextError).problems;
  }
  throw new Error('the context was accepted');
}

describe('platform context', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'jpki-context-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const write = (name: string, text: string, mode = 0o600) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    chmodSync(path, mode);
    return path;
  };

  it('the shipped local context is the built-in default, and the Kubernetes example is valid', () => {
    expect(parsePlatformContext(readFileSync(join(CONTEXTS, 'local.yaml'), 'utf8'), 'local.yaml')).toEqual(LOCAL_PLATFORM_CONTEXT);
    const prod = loadPlatformContext({ file: join(CONTEXTS, 'kubernetes.example.yaml'), env: {} });
    expect(prod.url('lifecycle')).toBe('https://lifecycle.ops.jpki.example.com');
    expect(prod.endpoints().mno.kddi).toBe('https://mno-tsm-kddi.ops.jpki.example.com');
    expect(prod.endpoints().seTsm).toBe('https://se-tsm.ops.jpki.example.com');
    expect(prod.local).toBe(false);
  });

  it('without a file or JPKI_CONTEXT: the local platform; JPKI_OPERATOR_TOKEN first, else a token minted for the grant', () => {
    const local = loadPlatformContext({ env: { JPKI_OPERATOR_TOKEN: 'given' } });
    expect(local.source).toBe('built-in local context');
    expect(local.endpoints().mno.softbank).toBe('http://127.0.0.1:7303');
    expect(local.endpoints().seTsm).toBe('http://127.0.0.1:7304');
    expect(local.operatorToken(grant)).toBe('given');
    const minted = loadPlatformContext({ env: { OPERATOR_TOKEN_PRIVATE_KEY: idpKey() } }).operatorToken({ ...grant, carrier: 'kddi' });
    expect(claims(minted)).toMatchObject({ sub: 'cli-operator', aud: ['lifecycle'], roles: ['operator'], carrier: 'kddi' });
    expect(() => loadPlatformContext({ env: {} }).operatorToken(grant)).toThrow('no operator token: set JPKI_OPERATOR_TOKEN, or OPERATOR_TOKEN_PRIVATE_KEY');
  });

  it('JPKI_CONTEXT names the file; the token comes from a file relative to it, never minted for a deployment', () => {
    write('ops.jwt', 'eyJhbGciOiJFZERTQSJ9.e30.c2ln\n');
    const file = write('prod.yaml', 'name: prod\nservices:\n  lifecycle: https://lifecycle.ops.example.com/\noperatorToken:\n  tokenFile: ops.jwt\n');
    const prod = loadPlatformContext({ env: { JPKI_CONTEXT: file, OPERATOR_TOKEN_PRIVATE_KEY: idpKey(), JPKI_OPERATOR_TOKEN: 'ignored' } });
    expect(prod.url('lifecycle')).toBe('https://lifecycle.ops.example.com');
    expect(prod.operatorToken(grant)).toBe('eyJhbGciOiJFZERTQSJ9.e30.c2ln');
    expect(() => prod.developmentToken(grant, 60)).toThrow(`${file}: context "prod" is a deployment: tokens are minted for the local development platform only`);
    expect(() => prod.url('sp-tsm')).toThrow(`${file}: context "prod" names no URL for sp-tsm`);
    expect(() => prod.endpoints()).toThrow(/names no URL for jpki-ca, sp-tsm, mno-tsm-docomo/);
  });

  it('a token file others can read, an empty one or a missing one is refused; an unset token variable too', () => {
    const token = write('ops.jwt', 'abc', 0o644);
    const context = (source: string) => loadPlatformContext({ file: write('c.yaml', `name: prod\nservices: { lifecycle: 'https://l.example.com' }\noperatorToken: { ${source} }\n`), env: {} });
    expect(() => context(`tokenFile: ${token}`).operatorToken(grant)).toThrow(`token file ${token} is readable by others: chmod 600 it`);
    write('empty.jwt', '\n');
    expect(() => context('tokenFile: empty.jwt').operatorToken(grant)).toThrow(/token file .*empty.jwt is empty/);
    expect(() => context('tokenFile: absent.jwt').operatorToken(grant)).toThrow(/cannot read token file .*absent.jwt: ENOENT/);
    expect(() => context('tokenEnv: PROD_TOKEN').operatorToken(grant)).toThrow('no operator token: PROD_TOKEN is not set');
  });

  it('refuses a context without a token source, or with two', () => {
    expect(problems('name: x\nservices:\n  lifecycle: https://l.example.com\n')).toEqual([
      'ctx.yaml:1:1: operatorToken: where the operator token comes from is missing: operatorToken.tokenFile or operatorToken.tokenEnv',
    ]);
    expect(problems('name: x\nservices:\n  lifecycle: https://l.example.com\noperatorToken:\n  tokenFile: a\n  tokenEnv: B\n')).toEqual([
      'ctx.yaml:5:3: operatorToken: name exactly one token source: tokenFile or tokenEnv',
    ]);
  });

  it('refuses a token value written in the file, under a token key or shaped like a JWT', () => {
    expect(problems('name: x\nservices:\n  lifecycle: https://l.example.com\noperatorToken:\n  tokenEnv: T\n  token: abc\n')).toContain(
      'ctx.yaml:6:3: operatorToken.token: "token": a secret is never written in a context file: name the file or environment variable holding it (tokenFile, tokenEnv)',
    );
    expect(problems('name: eyJhbGciOiJFZERTQSJ9.e30.c2ln\nservices:\n  lifecycle: https://l.example.com\noperatorToken:\n  tokenEnv: T\n')).toEqual([
      'ctx.yaml:1:7: name: a secret is never written in a context file: name the file or environment variable holding it (tokenFile, tokenEnv)',
    ]);
  });

  it('refuses an unknown service and bad URLs, each at its line', () => {
    const text = [
      'name: x',
      'services:',
      '  lifecycle: lifecycle.example.com',
      '  sp-tsm: ftp://sp.example.com',
      '  vsim: https://ops:pw@vsim.example.com',
      '  mno-tsm-rakuten: https://r.example.com',
      'operatorToken: { tokenEnv: T }',
    ].join('\n');
    expect(problems(text)).toEqual([
      'ctx.yaml:3:14: services.lifecycle: not a URL: "lifecycle.example.com"',
      'ctx.yaml:4:11: services.sp-tsm: an http or https URL, not ftp:',
      'ctx.yaml:5:9: services.vsim: credentials in a URL are refused: name a tokenFile or tokenEnv',
      'ctx.yaml:6:3: services.mno-tsm-rakuten: unknown service (known: jpki-ca, sp-tsm, mno-tsm-docomo, mno-tsm-kddi, mno-tsm-softbank, se-tsm, vsim, lifecycle, rp-bank, rp-ticketing, rp-eapplication)',
    ]);
  });

  it('mints development tokens only when every URL is on this machine', () => {
    expect(problems('name: x\nservices:\n  lifecycle: http://127.0.0.1:7500\n  sp-tsm: https://sp.example.com\noperatorToken:\n  tokenEnv: T\n  mintDevelopmentTokens: true\n')).toEqual([
      'ctx.yaml:7:26: operatorToken.mintDevelopmentTokens: only for a local platform, but sp-tsm is on sp.example.com',
    ]);
  });

  it('operations: the local broker and database (KAFKA_BROKERS, KAFKA_TOPIC_PREFIX, DATABASE_URL apply), a deployment’s from its file', () => {
    expect(LOCAL_PLATFORM_CONTEXT.operations?.kafkaBrokers).toEqual([LOCAL_KAFKA]);
    expect(loadPlatformContext({ env: {} }).operations()).toEqual({ kafkaBrokers: [LOCAL_KAFKA], topicPrefix: '', schemaPrefix: '', databaseUrl: 'postgres://postgres@127.0.0.1:5432/postgres' });
    expect(loadPlatformContext({ env: { KAFKA_BROKERS: 'a:1,b:2', KAFKA_TOPIC_PREFIX: 'demo.', DATABASE_URL: 'postgres://x@db/y' } }).operations()).toMatchObject({
      kafkaBrokers: ['a:1', 'b:2'],
      topicPrefix: 'demo.',
      databaseUrl: 'postgres://x@db/y',
    });
    write('db.url', 'postgres://ops:pw@pooler:5432/jpki\n');
    const operations = 'operations:\n  kafkaBrokers: [kafka.example.com:9094]\n  topicPrefix: prod.\n  databaseUrlFile: db.url\n';
    const file = write('prod.yaml', `name: prod\nservices: { lifecycle: 'https://l.example.com' }\noperatorToken: { tokenEnv: T }\n${operations}`);
    expect(loadPlatformContext({ file, env: { KAFKA_BROKERS: 'ignored:1' } }).operations()).toEqual({
      kafkaBrokers: ['kafka.example.com:9094'],
      topicPrefix: 'prod.',
      schemaPrefix: '',
      databaseUrl: 'postgres://ops:pw@pooler:5432/jpki',
    });
    const noDb = write('c.yaml', `name: prod\nservices: { lifecycle: 'https://l.example.com' }\noperatorToken: { tokenEnv: T }\noperations: { kafkaBrokers: ['k:9094'], databaseUrlEnv: PROD_DB }\n`);
    expect(() => loadPlatformContext({ file: noDb, env: { DATABASE_URL: 'local-only' } }).operations()).toThrow('no database URL: PROD_DB is not set');
    expect(problems("name: x\nservices: { lifecycle: 'https://l.example.com' }\noperatorToken: { tokenEnv: T }\noperations:\n  kafkaBrokers: [kafka]\n  databaseUrl: postgres://a:b@c/d\n")).toEqual([
      'ctx.yaml:5:18: operations.kafkaBrokers.0: host:port',
      'ctx.yaml:6:3: operations.databaseUrl: "databaseUrl": a secret is never written in a context file: name the file or environment variable holding it (tokenFile, tokenEnv)',
    ]);
  });

  it('names the file, line and column of a YAML syntax error, and a file that cannot be read', () => {
    expect(problems('name: x\nservices: [\n')[0]).toMatch(/^ctx\.yaml:3:1: /);
    expect(() => loadPlatformContext({ file: join(dir, 'absent.yaml'), env: {} })).toThrow(/absent\.yaml: cannot read the context file: ENOENT/);
  });

  it('a platform by the URL of its jpki-ca: every service at the same offset on that host; minting and local operations only on this machine', () => {
    const shifted = platformContextAt('http://127.0.0.1:7150', { OPERATOR_TOKEN_PRIVATE_KEY: idpKey() });
    expect(shifted.endpoints()).toMatchObject({ ca: 'http://127.0.0.1:7150', spTsm: 'http://127.0.0.1:7250', mno: { kddi: 'http://127.0.0.1:7352' }, rpTicketing: 'http://127.0.0.1:7750' });
    expect(shifted.local).toBe(true);
    expect(claims(shifted.operatorToken(grant))).toMatchObject({ sub: 'cli-operator', roles: ['operator'] });
    expect(shifted.operations().kafkaBrokers).toEqual([LOCAL_KAFKA]);
    const remote = platformContextAt('https://jpki.example.org', { JPKI_OPERATOR_TOKEN: 'given' });
    expect(remote.url('lifecycle')).toBe('https://jpki.example.org:7500');
    expect(remote.operatorToken(grant)).toBe('given');
    expect(() => remote.operations()).toThrow(expect.objectContaining({ reason: 'SERVICE_NOT_IN_CONTEXT' }));
    expect(() => platformContextAt('https://jpki.example.org', {}).operatorToken(grant)).toThrow(expect.objectContaining({ reason: 'TOKEN_MISSING' }));
  });
});
