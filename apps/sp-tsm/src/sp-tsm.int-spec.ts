/**
 * sp-tsm alone on the real broker and database: what it decides at its HTTP edge and in its own storage before any
 * other service takes part. Malformed enrollment requests and card-signed applications that do not verify (or are for
 * another phone) are refused with their precise reason and write nothing; an unknown enrollment id is 404; the
 * operator list of a number is 401 without a token (audited as refused) and 200 with an auditor's (audited as a read);
 * health, metrics and the OpenAPI document answer. Completing an enrollment needs the CA and the MNO-TSM: that is the
 * end-to-end tests' (apps/e2e/src/enrollment).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Response } from 'supertest';
import { waitUntil } from '@jpki/testing';
import { simApplication, SpTsmUnderTest, TestCard } from './test/sp-tsm-harness';

const randomMsisdn = () => `+8190${String(randomBytes(4).readUInt32BE() % 100_000_000).padStart(8, '0')}`;

interface Refusal {
  status: number;
  reason: string;
  message: string;
  /** VALIDATION_FAILED: the fields the schema refused. */
  fields?: string[];
}

describe('sp-tsm on the real broker and database', () => {
  let spTsm: SpTsmUnderTest;
  let card: TestCard;
  const msisdn = randomMsisdn();

  beforeAll(async () => {
    [spTsm, card] = await Promise.all([SpTsmUnderTest.start(), TestCard.issue()]);
  }, 60_000);

  afterAll(async () => {
    await spTsm?.close();
  });

  const signed = async (application = simApplication(msisdn)) => (await card.signApplication(application)).toString('base64');
  const enrollment = (signedApplication: string, overrides: Record<string, unknown> = {}) => ({ signedApplication, msisdn, operator: 'docomo', keyMode: 'on-card', ...overrides });

  /** The refusal `call` is answered with; it must leave every table of the service's schema as it was. */
  async function refusalOf(call: () => Promise<Response>): Promise<Refusal> {
    const before = await spTsm.rowCounts();
    const res = await call();
    expect(await spTsm.rowCounts()).toEqual(before);
    const details = res.body.details as { path: string }[] | undefined;
    return { status: res.status, reason: res.body.reason, message: res.body.message, ...(res.body.reason === 'VALIDATION_FAILED' ? { fields: details?.map((d) => d.path) } : {}) };
  }
  const post = (body: unknown) => refusalOf(() => spTsm.http().post('/enrollments').send(body as object));

  describe('POST /enrollments refuses a malformed request with its reason and records nothing', () => {
    const application = 'A'.repeat(400);

    it.each([
      ['an empty body', {}, ['signedApplication', 'msisdn', 'operator', 'keyMode']],
      ['a number that is not a Japanese mobile number', { signedApplication: application, msisdn: '+81312345678', operator: 'docomo', keyMode: 'on-card' }, ['msisdn']],
      ['an operator that is neither a carrier nor an MVNO', { signedApplication: application, msisdn: '+819012345678', operator: 'acme-mobile', keyMode: 'on-card' }, ['operator']],
      ["the application's word for the key mode", { signedApplication: application, msisdn: '+819012345678', operator: 'docomo', keyMode: 'on-device' }, ['keyMode']],
      ['a signed application too short to be one', { signedApplication: 'A'.repeat(99), msisdn: '+819012345678', operator: 'docomo', keyMode: 'on-card' }, ['signedApplication']],
      ['a signed application that is not base64', { signedApplication: '%'.repeat(400), msisdn: '+819012345678', operator: 'docomo', keyMode: 'on-card' }, ['signedApplication']],
    ])('400 VALIDATION_FAILED: %s', async (_what, body, fields) => {
      expect(await post(body)).toMatchObject({ status: 400, reason: 'VALIDATION_FAILED', fields });
    });

    it('400 MALFORMED_JSON, 400 INPUT_CONTAINS_NUL and 415 UNSUPPORTED_MEDIA_TYPE at the HTTP edge', async () => {
      const raw = (contentType: string, body: string) => refusalOf(() => spTsm.http().post('/enrollments').set('content-type', contentType).send(body));
      expect(await raw('application/json', '{"msisdn": "+8190')).toMatchObject({ status: 400, reason: 'MALFORMED_JSON' });
      expect(await post(enrollment(application, { msisdn: '+819012345678\u0000' }))).toMatchObject({ status: 400, reason: 'INPUT_CONTAINS_NUL', message: expect.stringContaining('body.msisdn') });
      expect(await raw('text/plain', JSON.stringify(enrollment(application)))).toMatchObject({ status: 415, reason: 'UNSUPPORTED_MEDIA_TYPE' });
    });

    it('400 APPLICATION_MALFORMED: not a SignedData, signed content that is not JSON, an application outside the CA’s schema', async () => {
      expect(await post(enrollment(randomBytes(300).toString('base64')))).toMatchObject({ status: 400, reason: 'APPLICATION_MALFORMED', message: expect.stringContaining('CMS_MALFORMED') });
      expect(await post(enrollment((await card.signApplication('{"purpose": "phone-enrollment"')).toString('base64')))).toMatchObject({
        status: 400,
        reason: 'APPLICATION_MALFORMED',
        message: 'the signed content is not JSON',
      });
      const outsideSchema = JSON.stringify({ ...simApplication(msisdn), purpose: 'account-opening' });
      expect(await post(enrollment((await card.signApplication(outsideSchema)).toString('base64')))).toMatchObject({ status: 400, reason: 'APPLICATION_MALFORMED', message: expect.stringContaining('purpose') });
    });
  });

  describe('POST /enrollments refuses a card-signed application that does not verify or is for another phone, and records nothing', () => {
    it('400 APPLICATION_SIGNATURE_INVALID: one byte of the signed application changed, or of its signature', async () => {
      const original = await card.signApplication(simApplication(msisdn));
      const content = Buffer.from(original);
      const lastDigit = content.indexOf(Buffer.from(msisdn)) + msisdn.length - 1;
      content[lastDigit] = content[lastDigit] === 0x30 ? 0x31 : 0x30;
      expect(await post(enrollment(content.toString('base64')))).toEqual({
        status: 400,
        reason: 'APPLICATION_SIGNATURE_INVALID',
        message: "the application's signature does not verify (CMS_MESSAGE_DIGEST_MISMATCH)",
      });
      // The signature is the last field of the SignedData's one SignerInfo.
      const signature = Buffer.from(original);
      signature[signature.length - 1] ^= 0x01;
      expect(await post(enrollment(signature.toString('base64')))).toEqual({
        status: 400,
        reason: 'APPLICATION_SIGNATURE_INVALID',
        message: "the application's signature does not verify (CMS_SIGNATURE_INVALID)",
      });
    });

    it.each([
      ['another number', simApplication(randomMsisdn()), {}, 'APPLICATION_MISMATCH', 'the signed application differs from the request in msisdn'],
      ['another operator', simApplication(msisdn, { carrier: 'kddi' }), {}, 'APPLICATION_MISMATCH', 'the signed application differs from the request in operator'],
      ['another key mode', simApplication(msisdn, { keyMode: 'ca-generated' }), {}, 'APPLICATION_MISMATCH', 'the signed application differs from the request in keyMode'],
      [
        'the phone signing certificate with a delivered key',
        simApplication(msisdn, { keyMode: 'ca-generated', signingCertificate: true }),
        { keyMode: 'delivered' },
        'SIGNING_KEY_NOT_ON_DEVICE',
        'the phone signing certificate needs an on-card key (keyMode on-card)',
      ],
    ])('422: an application signed for %s', async (_what, application, request, reason, message) => {
      expect(await post(enrollment(await signed(application), request))).toEqual({ status: 422, reason, message });
    });
  });

  it('GET /enrollments/<unknown id> is 404 ENROLLMENT_UNKNOWN and changes nothing', async () => {
    const id = `enr-${randomUUID()}`;
    expect(await refusalOf(() => spTsm.http().get(`/enrollments/${id}`))).toEqual({ status: 404, reason: 'ENROLLMENT_UNKNOWN', message: `no enrollment ${id}` });
  });

  describe('the operator list of a number', () => {
    const audit = () =>
      spTsm.query<{ actor: string; roles: string[]; action: string; target: string; outcome: string; details: unknown }>(
        `SELECT actor, roles, action, target, outcome, details FROM operator_audit ORDER BY id`,
      );

    it('without a token is 401 AUTH_REQUIRED, audited once as refused, and changes nothing else', async () => {
      const [before, auditBefore] = [await spTsm.rowCounts(), await audit()];
      const res = await spTsm.http().get('/enrollments').query({ msisdn });
      expect({ status: res.status, reason: res.body.reason }).toEqual({ status: 401, reason: 'AUTH_REQUIRED' });
      expect(await spTsm.rowCounts()).toEqual({ ...before, operator_audit: before['operator_audit'] + 1 });
      expect((await audit()).slice(auditBefore.length)).toEqual([
        {
          actor: 'anonymous',
          roles: [],
          action: 'enrollments.listed',
          target: msisdn,
          outcome: 'refused:AUTH_REQUIRED',
          details: { status: 401, method: 'GET', path: '/enrollments', claimedSubject: null },
        },
      ]);
    });

    it("with an auditor's token is 200 with the number's enrollments, audited as a read; the well-formed application those refusals were made from is accepted", async () => {
      const started = await spTsm.http().post('/enrollments').send(enrollment(await signed())).expect(202);
      expect(started.body).toMatchObject({ enrollmentId: expect.stringMatching(/^enr-/), msisdn, operator: 'docomo', carrier: 'docomo', keyMode: 'on-card', status: 'running' });
      const { enrollmentId } = started.body as { enrollmentId: string };
      expect(await spTsm.query(`SELECT msisdn, operator, key_mode, holds_msisdn FROM enrollment WHERE id = $1`, [enrollmentId])).toEqual([
        // Not proven by the CA yet: the number is not held.
        { msisdn, operator: 'docomo', key_mode: 'on-card', holds_msisdn: false },
      ]);
      expect(await spTsm.query(`SELECT kind FROM saga WHERE id = $1`, [enrollmentId])).toEqual([{ kind: 'enrollment' }]);
      await spTsm.http().get(`/enrollments/${enrollmentId}`).expect(200);

      const auditBefore = await audit();
      const res = await spTsm.http().get('/enrollments').query({ msisdn }).set('authorization', spTsm.token('test-auditor', ['auditor'])).expect(200);
      expect(res.body).toEqual({ enrollmentIds: [enrollmentId] });
      expect((await audit()).slice(auditBefore.length)).toEqual([
        { actor: 'operator:test-auditor', roles: ['auditor'], action: 'enrollments.listed', target: msisdn, outcome: 'ok', details: { count: 1 } },
      ]);
    });
  });

  it('answers /health/live, /health/ready and /metrics; /docs-json documents the enrollment routes', async () => {
    expect((await spTsm.http().get('/health/live').expect(200)).body).toEqual({ status: 'ok' });
    const ready = await waitUntil(async () => {
      const res = await spTsm.http().get('/health/ready');
      return res.status === 200 && res.body;
    }, 20_000, 'sp-tsm ready');
    expect(ready).toMatchObject({ status: 'ok', ready: true, checks: { database: { status: 'up' }, kafka: { status: 'up' }, consumers: { status: 'up' } } });

    const metrics = await spTsm.http().get('/metrics').expect(200);
    expect(metrics.headers['content-type']).toMatch(/^text\/plain/);
    // The refusals above are counted, labelled with the service.
    expect(metrics.text).toMatch(/^http_request_seconds_count\{service="sp-tsm",method="POST",status="422"\} [1-9]/m);

    const paths = (await spTsm.http().get('/docs-json').expect(200)).body.paths as Record<string, Record<string, { responses: Record<string, unknown> }>>;
    expect(Object.keys(paths['/enrollments'] ?? {}).sort()).toEqual(['get', 'post']);
    expect(Object.keys(paths['/enrollments'].post.responses).sort()).toEqual(['202', '400', '409', '422']);
    expect(Object.keys(paths['/enrollments'].get.responses).sort()).toEqual(['200', '400', '401', '403']);
    expect(Object.keys(paths['/enrollments/{id}'] ?? {})).toEqual(['get']);
  });
});
