import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, table } from './cli';

const caseBody = {
  caseId: 'case-1',
  kind: 'loss',
  status: 'completed',
  step: null,
  trigger: 'operator',
  openedBy: 'operator:alice',
  reason: 'holder called',
  revocationReason: 'certificateHold',
  personId: null,
  serial: '0A1B',
  iccid: '8981100000000000012',
  msisdn: '+819012345678',
  outcomes: { certificate: 'on-hold', service: 'done' },
  failure: null,
  openedAt: '2026-01-01T00:00:00.000Z',
  closedAt: '2026-01-01T00:00:01.000Z',
  result: {},
  saga: { state: 'ssd-locked', status: 'completed', history: [{ at: '2026-01-01T00:00:00.500Z', step: 'certificate-hold', outcome: 'completed', toState: 'certificate-held' }] },
};

function harness(responses: { status: number; body: unknown }[]) {
  const out: string[] = [];
  const err: string[] = [];
  const calls: { url: string; init: RequestInit }[] = [];
  const fetchMock = (async (url: string, init: RequestInit) => {
    calls.push({ url, init });
    const next = responses.shift() ?? { status: 500, body: {} };
    return new Response(JSON.stringify(next.body), { status: next.status, headers: { 'content-type': 'application/json' } });
  }) as unknown as typeof fetch;
  const run = (args: string[], env: NodeJS.ProcessEnv = { JPKI_OPERATOR_TOKEN: 'token-1' }) => runCli(args, { out: (l) => out.push(l), env, fetch: fetchMock }, (l) => err.push(l));
  return { out, err, calls, run };
}

describe('lifecycle CLI', () => {
  it('report-loss posts the selector and the reason with the token, and prints the case', async () => {
    const h = harness([{ status: 202, body: caseBody }]);
    expect(await h.run(['report-loss', '--msisdn', '+819012345678', '--reason', 'holder called'])).toBe(0);
    expect(h.calls[0].url).toBe('http://127.0.0.1:7500/loss-reports');
    expect(JSON.parse(String(h.calls[0].init.body))).toEqual({ msisdn: '+819012345678', reason: 'holder called' });
    expect((h.calls[0].init.headers as Record<string, string>)['authorization']).toBe('Bearer token-1');
    expect(h.out[0]).toBe('report-loss: accepted (HTTP 202)');
    expect(h.out.join('\n')).toMatch(/certificate on-hold[\s\S]*service {5}done[\s\S]*certificate-hold/);
  });

  it('prints refusals with status and reason and exits 2', async () => {
    const h = harness([{ status: 409, body: { statusCode: 409, reason: 'ALREADY_REPORTED', message: 'the phone is already reported lost' } }]);
    expect(await h.run(['report-loss', '--serial', '0A1B', '--reason', 'again'])).toBe(2);
    expect(h.err[0]).toBe('error: POST /loss-reports: HTTP 409 ALREADY_REPORTED — the phone is already reported lost');
  });

  it('mints a development token for the lifecycle service, scoped to the carrier given', async () => {
    const key = generateKeyPairSync('ed25519').privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64');
    const out: string[] = [];
    expect(await runCli(['--as', 'dora', '--carrier', 'docomo', 'token', '--roles', 'operator'], { out: (l) => out.push(l), env: { OPERATOR_TOKEN_PRIVATE_KEY: key }, fetch })).toBe(0);
    expect(JSON.parse(Buffer.from(out[0].split('.')[1], 'base64url').toString('utf8'))).toMatchObject({ sub: 'dora', aud: ['lifecycle'], roles: ['operator'], carrier: 'docomo' });
    const err: string[] = [];
    expect(await runCli(['--carrier', 'rakuten', 'token'], { out: () => undefined, env: { OPERATOR_TOKEN_PRIVATE_KEY: key }, fetch }, (l) => err.push(l))).toBe(1);
    expect(err[0]).toContain('carrier must be one of docomo,kddi,softbank');
  });

  it('needs exactly one phone selector and a token', async () => {
    const h = harness([]);
    expect(await h.run(['revoke', '--serial', '0A1B', '--iccid', '8981100000000000012', '--reason', 'x'])).toBe(2);
    expect(h.err[0]).toContain('exactly one of');
    const out: string[] = [];
    const noToken = await runCli(['cases'], { out: (l) => out.push(l), env: {}, fetch: (() => Promise.reject(new Error('no call'))) as never }, (l) => out.push(l));
    expect(noToken).toBe(2);
    expect(out[0]).toContain('no operator token');
  });

  it('--json prints the answer as is; clock-advance sends days', async () => {
    const h = harness([{ status: 200, body: { now: '2030-01-01T00:00:00.000Z', offsetDays: 40 } }]);
    expect(await h.run(['--json', 'clock-advance', '--days', '40', '--reason', 'renewal window'])).toBe(0);
    expect(JSON.parse(String(h.calls[0].init.body))).toEqual({ advanceDays: 40, reason: 'renewal window' });
    expect(JSON.parse(h.out.join('\n'))).toEqual({ now: '2030-01-01T00:00:00.000Z', offsetDays: 40 });
  });

  describe('with a context file', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'lifecycle-cli-'));
      writeFileSync(join(dir, 'ops.jwt'), 'token-from-file\n', { mode: 0o600 });
      writeFileSync(join(dir, 'prod.yaml'), 'name: prod\nservices:\n  lifecycle: https://lifecycle.ops.example.com/\noperatorToken:\n  tokenFile: ops.jwt\n');
      writeFileSync(join(dir, 'bad.yaml'), 'name: prod\nservices:\n  lifecycle: lifecycle.ops.example.com\noperatorToken:\n  tokenFile: ops.jwt\n');
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('calls the URL the context names with the token from its file (JPKI_CONTEXT too)', async () => {
      const h = harness([{ status: 200, body: [] }, { status: 200, body: [] }]);
      expect(await h.run(['--context', join(dir, 'prod.yaml'), 'cases', '--limit', '5'], {})).toBe(0);
      expect(h.calls[0].url).toBe('https://lifecycle.ops.example.com/cases?limit=5');
      expect((h.calls[0].init.headers as Record<string, string>)['authorization']).toBe('Bearer token-from-file');
      expect(await h.run(['cases'], { JPKI_CONTEXT: join(dir, 'prod.yaml') })).toBe(0);
      expect(h.calls[1].url).toBe('https://lifecycle.ops.example.com/cases?limit=50');
    });

    it('never mints a token for a deployment, even with the IdP key at hand', async () => {
      const h = harness([]);
      expect(await h.run(['--context', join(dir, 'prod.yaml'), 'token'], { OPERATOR_TOKEN_PRIVATE_KEY: generateKeyPairSync('ed25519').privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64') })).toBe(2);
      expect(h.err[0]).toBe(`error: ${join(dir, 'prod.yaml')}: context "prod" is a deployment: tokens are minted for the local development platform only`);
      expect(h.out).toEqual([]);
    });

    it('under --json, errors are { error, reason } on stdout: an invalid context, a refusal, a usage error', async () => {
      const h = harness([{ status: 409, body: { statusCode: 409, reason: 'ALREADY_REPORTED', message: 'the phone is already reported lost' } }]);
      expect(await h.run(['--json', '--context', join(dir, 'bad.yaml'), 'cases'], {})).toBe(2);
      expect(JSON.parse(h.out[0])).toEqual({ error: `${join(dir, 'bad.yaml')}:3:14: services.lifecycle: not a URL: "lifecycle.ops.example.com"`, reason: 'CONTEXT_INVALID' });
      expect(await h.run(['report-loss', '--serial', '0A1B', '--reason', 'again', '--json'])).toBe(2);
      expect(JSON.parse(h.out[1])).toEqual({ error: 'POST /loss-reports: HTTP 409 ALREADY_REPORTED — the phone is already reported lost', reason: 'ALREADY_REPORTED' });
      expect(await h.run(['--json', 'report-loss', '--serial', '0A1B'])).toBe(1);
      expect(JSON.parse(h.out[2])).toMatchObject({ reason: 'USAGE', error: expect.stringContaining("required option '--reason <text>' not specified") });
      expect(h.err).toEqual([]);
    });
  });

  it('aligns tables', () => {
    expect(table(['A', 'BB'], [['xyz', 'q']])).toEqual(['A    BB', '---  --', 'xyz  q']);
  });
});
