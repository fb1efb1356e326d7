import { randomBytes, randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type { AuditEntryView } from '@jpki/contracts';
import { BankClient, createTestCitizen, HttpJson, type TestCitizen } from '@jpki/jpki-client';
import { OpenSslWorkspace } from '@jpki/openssl-judge';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { buildOcspRequest, computeCertId } from '@jpki/pki';
import { startPlatformUnderTest, testDatabaseUrl, waitUntil, type PlatformUnderTest } from '@jpki/testing';
import { lifecycleApi } from '../lifecycle-support';

/** Challenges the relying parties hold at most in this test (CHALLENGE_CAPACITY), and how long one lives. */
const CHALLENGE_CAPACITY = 40;
const CHALLENGE_TTL_SECONDS = 12;
const MB = 1024 * 1024;

/** The value of a Prometheus counter (summed over its labels matching `labels`). */
async function metric(baseUrl: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(name) && (l[name.length] === ' ' || l[name.length] === '{'))
    .filter((l) => Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

/**
 * Cheap abuse and bad input against the running platform (every service its own process): requests that cost the
 * attacker little and used to cost the platform much (a database query per CertID, unbounded tables) or ended in a
 * 500 from PostgreSQL. Each is refused precisely, changes nothing, and lifecycle audits what it refuses.
 */
describe('attacks: cheap abuse and bad input', () => {
  let platform: PlatformUnderTest;
  let citizen: TestCitizen;
  let openssl: OpenSslWorkspace;
  const token = () => platform.operatorToken;
  const call = async (baseUrl: string, path: string, init: RequestInit & { token?: boolean } = {}) => {
    const headers = new Headers(init.headers);
    if (init.token) headers.set('authorization', `Bearer ${token()}`);
    const res = await fetch(baseUrl + path, { ...init, headers, signal: AbortSignal.timeout(30_000) });
    const text = await res.text();
    let body: { reason?: string; details?: Record<string, unknown> } | undefined;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    return { status: res.status, reason: body?.reason, body, headers: res.headers };
  };
  /** rp-eapplication keeps accepted applications only: a refused one leaves no row (and, refused at the edge, no outcome). */
  const eapplicationState = async () => {
    const db = new Client({ connectionString: testDatabaseUrl() });
    await db.connect();
    try {
      const stored = Number((await db.query(`SELECT count(*) AS n FROM "${platform.stack.get('rp-eapplication').spec.schema}".application`)).rows[0].n);
      return { stored, outcomes: await metric(platform.endpoints.rpEapplication, 'rp_eapplication_applications_total') };
    } finally {
      await db.end();
    }
  };

  beforeAll(async () => {
    const rp = { CHALLENGE_CAPACITY: String(CHALLENGE_CAPACITY) };
    platform = await startPlatformUnderTest({
      serviceEnv: {
        'rp-bank': { ...rp, LOGIN_CHALLENGE_TTL_SECONDS: String(CHALLENGE_TTL_SECONDS) },
        'rp-ticketing': { ...rp, CHALLENGE_TTL_SECONDS: String(CHALLENGE_TTL_SECONDS) },
      },
    });
    citizen = await createTestCitizen(platform.endpoints, token());
    openssl = await OpenSslWorkspace.create();
  }, 240_000);

  afterAll(async () => {
    await platform?.stop();
    await openssl?.dispose();
  });

  it('ATK-50: an OCSP request naming 900 certificates → malformedRequest without a lookup; 20 unknown serials cost one query; a normal request is answered as before', async () => {
    const ca = platform.endpoints.ca;
    const der = async (name: string) => Buffer.from(await (await fetch(`${ca}/ca/${name}.der`)).arrayBuffer());
    const uaCa = await der('user-authentication');
    // Issuer hashes of the user-authentication CA (from a certificate it issued), then CertIDs for serials of our choosing.
    const template = computeCertId(await der('user-authentication-ocsp'), uaCa, 'SHA-1');
    const certId = (serial: bigint) =>
      new pkijs.CertID({
        hashAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: template.hashAlgorithmOid, algorithmParams: new asn1js.Null() }),
        issuerNameHash: new asn1js.OctetString({ valueHex: Uint8Array.from(template.issuerNameHash).buffer }),
        issuerKeyHash: new asn1js.OctetString({ valueHex: Uint8Array.from(template.issuerKeyHash).buffer }),
        serialNumber: asn1js.Integer.fromBigInt(serial),
      });
    const ocspRequest = (count: number) => {
      const requestList = Array.from({ length: count }, () => new pkijs.Request({ reqCert: certId(BigInt(`0x7${randomBytes(3).toString('hex')}`)) }));
      return Buffer.from(new pkijs.OCSPRequest({ tbsRequest: new pkijs.TBSRequest({ requestList }) }).toSchema(true).toBER());
    };
    const post = async (body: Buffer) => {
      const res = await fetch(`${ca}/ocsp`, { method: 'POST', headers: { 'content-type': 'application/ocsp-request' }, body, signal: AbortSignal.timeout(10_000) });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/ocsp-response');
      return Buffer.from(await res.arrayBuffer());
    };
    const queries = () => metric(ca, 'ca_ocsp_status_queries_total');

    const huge = ocspRequest(900);
    expect(huge.length).toBeLessThan(64 * 1024); // under the OCSP body limit: the CertID count is what is refused
    const before = await queries();
    const refused = await post(huge);
    await openssl.write('refused.der', refused);
    expect((await openssl.run(['ocsp', '-respin', 'refused.der', '-resp_text', '-noverify'])).output).toMatch(/Responder Error: malformedrequest \(1\)/);
    expect((await openssl.run(['asn1parse', '-inform', 'DER', '-in', 'refused.der'])).output).toMatch(/ENUMERATED\s+:01/);
    expect(await queries()).toBe(before); // refused before any status lookup

    // At the limit (20), a request full of serials the CA never issued is answered, with one query for the lot.
    const twenty = await post(ocspRequest(20));
    await openssl.write('twenty.der', twenty);
    const text = (await openssl.run(['ocsp', '-respin', 'twenty.der', '-resp_text', '-noverify'])).output;
    expect(text).toMatch(/OCSP Response Status: successful/);
    expect(text.match(/Cert Status: unknown/g)).toHaveLength(20);
    expect(await queries()).toBe(before + 1);
    expect(await metric(ca, 'ca_ocsp_responses_total', { kind: 'too-many-cert-ids' })).toBe(1);

    // A normal request right after: the card's user-authentication certificate is good.
    const cardCertificate = citizen.card.certificate('user-authentication');
    const normal = await post(buildOcspRequest({ certificate: cardCertificate, issuerCertificate: uaCa, hashAlgorithm: 'SHA-1', nonce: true }).der);
    await openssl.write('normal.der', normal);
    expect((await openssl.run(['ocsp', '-respin', 'normal.der', '-resp_text', '-noverify'])).output).toMatch(/Cert Status: good/);
  });

  it('ATK-51: a 5 MB JSON body to every service → 413 PAYLOAD_TOO_LARGE before it is read; nothing changed; lifecycle audits the refusal', async () => {
    const e = platform.endpoints;
    const big = JSON.stringify({ padding: 'x'.repeat(5 * MB) });
    const targets: [string, string, string, boolean][] = [
      ['jpki-ca', e.ca, '/citizens', true],
      ['sp-tsm', e.spTsm, '/enrollments', false],
      ['sp-tsm', e.spTsm, '/iphone-enrollments', false],
      ['mno-tsm-docomo', e.mno.docomo, '/subscribers', true],
      ['mno-tsm-kddi', e.mno.kddi, '/subscribers', true],
      ['mno-tsm-softbank', e.mno.softbank, '/subscribers', true],
      ['vsim', e.vsim, '/sims/8981100000000000001/handset', true],
      ['lifecycle', e.lifecycle, '/loss-reports', true],
      ['rp-bank', e.rpBank, '/login', false],
      ['rp-ticketing', e.rpTicketing, '/tickets', false],
      ['rp-eapplication', e.rpEapplication, '/applications', false],
    ];
    const eapplicationBefore = await eapplicationState();
    const docomoBefore = await new HttpJson(e.mno.docomo, token()).get<unknown[]>('/subscribers?limit=1000');
    const casesBefore = await lifecycleApi(platform).get<unknown[]>('/cases?limit=500');
    const correlation = `atk51-${randomUUID()}`;
    for (const [name, base, path, auth] of targets) {
      const method = path.endsWith('/handset') ? 'PUT' : 'POST';
      const headers = { 'content-type': 'application/json', 'x-correlation-id': correlation };
      const declared = await call(base, path, { method, headers, body: big, token: auth });
      expect({ name, path, status: declared.status, reason: declared.reason }).toEqual({ name, path, status: 413, reason: 'PAYLOAD_TOO_LARGE' });
      expect(declared.body?.details).toEqual({ limitBytes: MB });
    }
    // Streamed without a Content-Length: read up to the limit, then refused the same way.
    const stream = () =>
      new ReadableStream({
        start(c) {
          for (let i = 0; i < 5; i++) c.enqueue(new TextEncoder().encode(big.slice(i * MB, (i + 1) * MB)));
          c.close();
        },
      });
    for (const [base, path] of [
      [e.rpBank, '/login'],
      [e.rpEapplication, '/applications'],
    ]) {
      const chunked = await call(base, path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: stream(), duplex: 'half' } as RequestInit);
      expect({ path, status: chunked.status, reason: chunked.reason }).toEqual({ path, status: 413, reason: 'PAYLOAD_TOO_LARGE' });
    }

    expect(await new HttpJson(e.mno.docomo, token()).get<unknown[]>('/subscribers?limit=1000')).toEqual(docomoBefore);
    expect(await lifecycleApi(platform).get<unknown[]>('/cases?limit=500')).toEqual(casesBefore);
    expect(await eapplicationState()).toEqual(eapplicationBefore); // no application stored, none even reached verification
    // The control: a small application that is no SignedData does reach verification, and is refused there precisely.
    const small = await call(e.rpEapplication, '/applications', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ document: Buffer.from('転居届').toString('base64'), signedData: 'A'.repeat(200) }),
    });
    expect({ status: small.status, reason: small.reason }).toEqual({ status: 400, reason: 'CMS_MALFORMED' });
    expect(await eapplicationState()).toEqual({ stored: eapplicationBefore.stored, outcomes: eapplicationBefore.outcomes + 1 });
    for (const base of [e.ca, e.spTsm, e.mno.docomo, e.vsim, e.lifecycle, e.rpBank, e.rpTicketing, e.rpEapplication]) expect((await fetch(`${base}/health/ready`)).status).toBe(200);
    const audited = await lifecycleApi(platform).get<AuditEntryView[]>(`/audit?outcome=${encodeURIComponent('refused:PAYLOAD_TOO_LARGE')}&limit=1000`);
    expect(audited.filter((a) => a.correlationId === correlation)).toEqual([expect.objectContaining({ action: 'loss.report', statusCode: 413 })]);
  }, 120_000);

  it('ATK-52: NUL bytes in path, query and body → 400 INPUT_CONTAINS_NUL on every service, never 500; lifecycle audits each refusal with the value escaped', async () => {
    const e = platform.endpoints;
    const correlation = `atk52-${randomUUID()}`;
    const gets: [string, string][] = [
      [e.spTsm, '/enrollments/%00'],
      [e.spTsm, '/enrollments?msisdn=%00'],
      [e.spTsm, '/iphone-enrollments/%00'],
      [e.spTsm, '/iphone-enrollments?deviceId=%00'],
      [e.lifecycle, '/cases?enrollmentId=%00'],
      [e.lifecycle, '/cases/%00'],
      [e.lifecycle, '/cases/a%00b'],
      [e.lifecycle, '/audit?actor=%00'],
      [e.lifecycle, '/audit?target=x%00y&limit=5'],
      [e.lifecycle, '/phones?personId=%00'],
      [e.mno.docomo, '/audit-log?actor=%00'],
      [e.mno.kddi, '/subscribers/%00'],
      [e.mno.softbank, '/operations?iccid=%00'],
      [e.ca, '/audit?subject=%00'],
      [e.ca, '/certificates/%00'],
      [e.ca, '/citizens/%00'],
      [e.ca, '/ca/%00'],
      [e.ca, '/crl/%00'],
      [e.vsim, '/sims/%00'],
      [e.rpTicketing, '/gates/%00'],
      [e.rpTicketing, '/tickets/%00'],
      [e.rpEapplication, '/applications/%00'],
      [e.rpEapplication, '/applications/00000000-0000-0000-0000-000000000000?x=%00'],
    ];
    const eapplicationBefore = await eapplicationState();
    for (const [base, path] of gets) {
      const r = await call(base, path, { token: true, headers: { 'x-correlation-id': correlation } });
      expect({ path, status: r.status, reason: r.reason }).toEqual({ path, status: 400, reason: 'INPUT_CONTAINS_NUL' });
    }
    const posts: [string, string, unknown][] = [
      [e.lifecycle, '/loss-reports', { msisdn: '+8190\u000012345678', reason: 'lost' }],
      [e.lifecycle, '/revocations', { serial: 'AB', reason: 'why\u0000not' }],
      [e.rpBank, '/login', { challengeId: randomUUID(), signature: 'A'.repeat(100), certificate: 'A'.repeat(200), extra: '\u0000' }],
      [e.rpTicketing, '/tickets', { ['\u0000']: 1 }],
      [e.rpEapplication, '/applications', { document: Buffer.from('転居届\u0000').toString('base64'), signedData: 'A'.repeat(200), note: 'x\u0000' }],
      [e.spTsm, '/enrollments', { msisdn: '\u0000' }],
      [e.mno.docomo, '/subscribers', { mvno: '\u0000' }],
      [e.ca, '/citizens', { name: '\u0000' }],
    ];
    for (const [base, path, body] of posts) {
      const r = await call(base, path, { method: 'POST', token: true, headers: { 'content-type': 'application/json', 'x-correlation-id': correlation }, body: JSON.stringify(body) });
      expect({ path, status: r.status, reason: r.reason }).toEqual({ path, status: 400, reason: 'INPUT_CONTAINS_NUL' });
    }
    // An anonymous caller whose (unverifiable) token claims a subject with a NUL in it: 401, and still audited.
    const claim = Buffer.from(JSON.stringify({ sub: 'mallory\u0000root' })).toString('base64url');
    const forged = await fetch(`${e.lifecycle}/cases?limit=1`, { headers: { authorization: `Bearer eyJhbGciOiJub25lIn0.${claim}.`, 'x-correlation-id': correlation } });
    expect(forged.status).toBe(401);

    // Lifecycle audited every refusal, with the offending value escaped (`\u0000`), never raw.
    const audit = await waitUntil(
      async () => {
        const entries = (await lifecycleApi(platform, 'audrey@audit', ['auditor']).get<AuditEntryView[]>('/audit?after=0&limit=1000')).filter((a) => a.correlationId === correlation);
        return entries.length >= 9 ? entries : undefined;
      },
      10_000,
      'lifecycle audit entries of the refused calls',
    );
    const refusedNul = audit.filter((a) => a.outcome === 'refused:INPUT_CONTAINS_NUL');
    expect(refusedNul.map((a) => a.action).sort()).toEqual(['audit.read', 'audit.read', 'case.list', 'case.read', 'case.read', 'loss.report', 'phone.read', 'revocation.request'].sort());
    expect(refusedNul.find((a) => a.action === 'case.read' && a.target === '\\u0000')).toBeDefined();
    expect(refusedNul.find((a) => a.action === 'case.list')?.details).toMatchObject({ query: { enrollmentId: '\\u0000' } });
    expect(refusedNul.find((a) => a.action === 'revocation.request')?.reason).toBe('why\\u0000not');
    expect(audit.find((a) => a.statusCode === 401)).toMatchObject({ actor: 'anonymous', details: { claimedSubject: 'mallory\\u0000root' } });
    const hasNul = (v: unknown): boolean =>
      typeof v === 'string' ? v.includes('\u0000') : v !== null && typeof v === 'object' ? Object.entries(v).some(([k, x]) => k.includes('\u0000') || hasNul(x)) : false;
    expect(audit.filter(hasNul)).toEqual([]); // no raw NUL survived
    expect(await eapplicationState()).toEqual(eapplicationBefore);
    for (const base of [e.ca, e.spTsm, e.mno.docomo, e.lifecycle, e.rpEapplication]) expect((await fetch(`${base}/health/ready`)).status).toBe(200);
  }, 60_000);

  it('ATK-53: a flood of challenge requests → 503 CHALLENGE_CAPACITY_REACHED with Retry-After; the table stays bounded; honest login works after the TTL', async () => {
    const e = platform.endpoints;
    const flood = async (base: string, path: string, count: number) => {
      const outcomes = await Promise.all(Array.from({ length: count }, () => call(base, path, { method: 'POST' })));
      return {
        issued: outcomes.filter((o) => o.status === 201).length,
        refused: outcomes.filter((o) => o.status === 503 && o.reason === 'CHALLENGE_CAPACITY_REACHED'),
        other: outcomes.filter((o) => o.status !== 201 && !(o.status === 503 && o.reason === 'CHALLENGE_CAPACITY_REACHED')).map((o) => `${o.status} ${o.reason}`),
      };
    };
    const bank = new BankClient(e.rpBank);
    const card = async (challenge: Buffer) => ({ signature: await citizen.card.signChallenge(citizen.cardPin, challenge), certificate: citizen.card.certificate('user-authentication') });
    const db = new Client({ connectionString: testDatabaseUrl() });
    await db.connect();
    const table = (service: string) => `"${platform.stack.get(service).spec.schema}".rp_challenge`;
    const rows = async (service: string) => Number((await db.query(`SELECT count(*) AS n FROM ${table(service)}`)).rows[0].n);
    const outstanding = async (service: string) => Number((await db.query(`SELECT count(*) AS n FROM ${table(service)} WHERE expires_at > now()`)).rows[0].n);
    try {
      for (const [service, base, path] of [
        ['rp-bank', e.rpBank, '/login/challenges'],
        ['rp-ticketing', e.rpTicketing, '/tickets/challenges'],
      ] as const) {
        const first = await flood(base, path, 300);
        expect(first.other).toEqual([]);
        expect(first.issued).toBeGreaterThanOrEqual(CHALLENGE_CAPACITY);
        expect(first.issued).toBeLessThanOrEqual(CHALLENGE_CAPACITY + 10); // one statement checks and inserts; in-flight ones may overshoot
        expect(first.refused.length).toBe(300 - first.issued);
        expect(first.refused[0].body?.details).toMatchObject({ capacity: CHALLENGE_CAPACITY, retryAfterSeconds: expect.any(Number) });
        expect(Number(first.refused[0].headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
        expect(Number(first.refused[0].headers.get('retry-after'))).toBeLessThanOrEqual(CHALLENGE_TTL_SECONDS);
        expect(await outstanding(service)).toBe(first.issued);
        // Flooding on: still capped; the table holds at most the capacity outstanding plus what expired lately.
        const second = await flood(base, path, 200);
        expect(second.other).toEqual([]);
        expect(second.refused.length).toBeGreaterThan(0);
        expect(await outstanding(service)).toBeLessThanOrEqual(CHALLENGE_CAPACITY + 10);
        expect(await rows(service)).toBeLessThanOrEqual(3 * CHALLENGE_CAPACITY + 10);
        // The honest holder during the flood: refused for now, precisely.
        if (service === 'rp-bank') await expect(bank.login(card)).rejects.toMatchObject({ status: 503, reason: 'CHALLENGE_CAPACITY_REACHED' });
      }
      // After the TTL the flood's challenges no longer count: the honest login goes through.
      await new Promise((r) => setTimeout(r, (CHALLENGE_TTL_SECONDS + 1) * 1000));
      expect(await bank.login(card)).toMatchObject({ holder: { keyType: 'rsa' }, status: { source: 'ocsp' } });
      // Expired challenges are purged (after a grace of one TTL, every TTL): the table empties by itself.
      await waitUntil(async () => (await rows('rp-ticketing')) === 0, 4 * CHALLENGE_TTL_SECONDS * 1000, 'rp-ticketing challenges purged');
      await waitUntil(async () => (await rows('rp-bank')) <= 1, 4 * CHALLENGE_TTL_SECONDS * 1000, 'rp-bank challenges purged');
    } finally {
      await db.end();
    }
  }, 150_000);
});
