import { AtRestCipher, AtRestDecryptionError } from '@jpki/crypto';
import { createTestCitizen, HttpJson, refusalOf, type TestCitizen } from '@jpki/jpki-client';
import { OpenSslWorkspace } from '@jpki/openssl-judge';
import { signCms } from '@jpki/pki';
import { startPlatformUnderTest, type PlatformUnderTest } from '@jpki/testing';
import { ApplicationsService } from './applications/applications.service';
import { RP_EAPPLICATION_SERVICE_NAME } from './config';
import { startEapplication, type EapplicationUnderTest } from './test/eapplication-harness';

const MOVING_NOTICE = Buffer.from(JSON.stringify({ form: '転居届', newAddress: '東京都千代田区霞が関2-1-2', submittedAt: '2026-12-04' }));
const CHILD_ALLOWANCE_CLAIM = Buffer.from(JSON.stringify({ form: '児童手当認定請求書', children: 2, submittedAt: '2026-12-04' }));

/**
 * rp-eapplication on the real broker and database, against the CA as a process: documents signed with a test
 * citizen's My Number card signing key are accepted (and OpenSSL accepts the same SignedData); refusals name their
 * reason and store nothing.
 */
describe('rp-eapplication (integration)', () => {
  let platform: PlatformUnderTest;
  let rp: EapplicationUnderTest;
  let citizen: TestCitizen;
  let openssl: OpenSslWorkspace;
  const http = () => new HttpJson(rp.url);
  const submit = (document: Buffer, signedData: Buffer) => http().post<Record<string, unknown>>('/applications', { document: document.toString('base64'), signedData: signedData.toString('base64') });
  const stored = async () => Number((await rp.dataSource.query(`SELECT count(*)::int AS n FROM application`))[0].n);
  const signWithCard = (who: TestCitizen, document: Buffer) => who.card.signApplication(who.signingPassword, document, { detached: true });
  const openSealed = (sealed: string, applicationId: string, field: string) =>
    AtRestCipher.fromSpec(platform.keys.envFor(RP_EAPPLICATION_SERVICE_NAME).KEY_ENCRYPTION_KEYS).open(sealed, `rp-eapplication/application/${applicationId}/${field}`);

  beforeAll(async () => {
    platform = await startPlatformUnderTest({ only: ['jpki-ca'], serviceEnv: { 'jpki-ca': { CRL_DEBOUNCE_MS: '50', KEY_POOL_SIZE: '2', CARD_FILE_KDF_LOG2N: '10' } } });
    [rp, citizen, openssl] = await Promise.all([startEapplication(platform), createTestCitizen(platform.endpoints, platform.operatorToken), OpenSslWorkspace.create()]);
    const ca = await Promise.all(['root', 'digital-signature'].map((name) => fetch(`${platform.endpoints.ca}/ca/${name}.pem`).then((res) => res.text())));
    await openssl.write('signing-chain.pem', ca.join(''));
  }, 180_000);

  afterAll(async () => {
    await openssl?.dispose();
    await rp?.close();
    await platform?.stop();
  });

  it('accepts a document signed with the card’s signing key (detached): 201 with the signer, signing time and 基本4情報, stored; OpenSSL accepts the same SignedData', async () => {
    const signedData = await signWithCard(citizen, MOVING_NOTICE);
    const accepted = await submit(MOVING_NOTICE, signedData);
    expect(accepted).toMatchObject({
      applicationId: expect.any(String),
      signer: { serial: expect.stringMatching(/^[0-9A-F]+$/) },
      signingTime: expect.any(String),
      personalData: { name: '山田 太郎', gender: '1', dateOfBirth: '419900401', address: '東京都千代田区霞が関2-1-2' },
      status: { ocspProducedAt: expect.any(String), crlNumber: expect.any(String) },
    });
    const applicationId = accepted['applicationId'] as string;
    const [row] = await rp.dataSource.query(`SELECT sealed_document, sealed_signed_data, sealed_signer_certificate FROM application WHERE application_id = $1`, [applicationId]);
    expect(openSealed(row.sealed_document, applicationId, 'document').equals(MOVING_NOTICE)).toBe(true);
    expect(openSealed(row.sealed_signed_data, applicationId, 'signed-data').equals(signedData)).toBe(true);
    expect(openSealed(row.sealed_signer_certificate, applicationId, 'signer-certificate').equals(citizen.card.certificate('signing'))).toBe(true);
    expect(await new HttpJson(rp.url, rp.operatorToken).get(`/applications/${accepted['applicationId']}`)).toEqual(accepted);

    await Promise.all([openssl.write('notice.json', MOVING_NOTICE), openssl.write('notice.p7s', signedData)]);
    const judged = await openssl.run(['cms', '-verify', '-binary', '-inform', 'DER', '-in', 'notice.p7s', '-content', 'notice.json', '-CAfile', 'signing-chain.pem', '-out', '/dev/null']);
    expect(judged.stderr).toContain('Verification successful');
  });

  it('accepts a SignedData encapsulating the document; GET needs an operator token', async () => {
    const attached = await citizen.card.signApplication(citizen.signingPassword, MOVING_NOTICE);
    const accepted = await submit(MOVING_NOTICE, attached);
    expect(await refusalOf(http().get(`/applications/${accepted['applicationId']}`))).toMatchObject({ status: 401 });
    expect(await refusalOf(new HttpJson(rp.url, rp.operatorToken).get('/applications/7d1f4a52-8a4e-4c57-9d5e-0f1e2d3c4b5a'))).toMatchObject({ status: 404, reason: 'APPLICATION_UNKNOWN' });
  });

  it('stores the document, SignedData, signer and 基本4情報 only sealed: none of them in the clear in the row, and a sealed value copied into another application’s row does not open', async () => {
    const first = await submit(MOVING_NOTICE, await signWithCard(citizen, MOVING_NOTICE));
    const signedClaim = await signWithCard(citizen, CHILD_ALLOWANCE_CLAIM);
    const second = await submit(CHILD_ALLOWANCE_CLAIM, signedClaim);
    const [firstId, secondId] = [first['applicationId'] as string, second['applicationId'] as string];
    const personalData = second['personalData'] as Record<string, string>;
    const signer = second['signer'] as Record<string, string>;

    // Every column as PostgreSQL renders it: BYTEA as \x hex, JSONB as JSON text, TEXT as it is.
    const columns: { name: string; value: string }[] = await rp.dataSource.query(
      `SELECT key AS name, value FROM application a, json_each_text(to_json(a)) WHERE a.application_id = $1 AND value IS NOT NULL`,
      [secondId],
    );
    const clear = [personalData['name'], personalData['address'], personalData['dateOfBirth'], signer['subject']].map((value) => Buffer.from(value, 'utf8'));
    for (const value of [...clear, CHILD_ALLOWANCE_CLAIM, signedClaim, citizen.card.certificate('signing')]) {
      const forms = (['utf8', 'hex', 'base64'] as const).map((encoding) => value.toString(encoding));
      expect(columns.filter((c) => forms.some((form) => c.value.includes(form))).map((c) => c.name)).toEqual([]);
    }

    const clerk = new HttpJson(rp.url, rp.operatorToken);
    expect(await clerk.get(`/applications/${secondId}`)).toEqual(second);
    await rp.dataSource.query(
      `UPDATE application SET sealed_personal_data = (SELECT sealed_personal_data FROM application WHERE application_id = $1) WHERE application_id = $2`,
      [firstId, secondId],
    );
    await expect(rp.app.get(ApplicationsService).get(secondId)).rejects.toThrow(AtRestDecryptionError);
    expect(await refusalOf(clerk.get(`/applications/${secondId}`))).toMatchObject({ status: 500, reason: 'INTERNAL_ERROR' });
    expect(await clerk.get(`/applications/${firstId}`)).toEqual(first);
  });

  describe('refusals store nothing', () => {
    let before: number;
    beforeEach(async () => (before = await stored()));
    afterEach(async () => expect(await stored()).toBe(before));

    it('a tampered document (422 CMS_MESSAGE_DIGEST_MISMATCH), and OpenSSL refuses it too', async () => {
      const signedData = await signWithCard(citizen, MOVING_NOTICE);
      const tampered = Buffer.from(MOVING_NOTICE.toString().replace('霞が関', '永田町'));
      expect(await refusalOf(submit(tampered, signedData))).toMatchObject({ status: 422, reason: 'CMS_MESSAGE_DIGEST_MISMATCH' });
      await Promise.all([openssl.write('tampered.json', tampered), openssl.write('tampered.p7s', signedData)]);
      const judged = await openssl.run(['cms', '-verify', '-binary', '-inform', 'DER', '-in', 'tampered.p7s', '-content', 'tampered.json', '-CAfile', 'signing-chain.pem', '-out', '/dev/null']);
      expect(judged.output).toContain('Verification failure');
    });

    it('the user-authentication certificate instead of the signing one (422 CERTIFICATE_NOT_FOR_SIGNING, WRONG_ISSUER_CA)', async () => {
      const signer = await citizen.card.userAuthenticationSigner(citizen.cardPin);
      const signedData = await signCms(MOVING_NOTICE, citizen.card.certificate('user-authentication'), signer, { detached: true });
      expect(await refusalOf(submit(MOVING_NOTICE, signedData))).toMatchObject({
        status: 422,
        reason: 'CERTIFICATE_NOT_FOR_SIGNING',
        details: { validationReason: 'WRONG_ISSUER_CA' },
      });
    });

    it('malformed CMS (400 CMS_MALFORMED) and an oversize body (413 PAYLOAD_TOO_LARGE)', async () => {
      const junk = Buffer.from('0\x82\x01\x00not a SignedData at all, only bytes that look like the start of one'.padEnd(200, '.'));
      expect(await refusalOf(submit(MOVING_NOTICE, junk))).toMatchObject({ status: 400, reason: 'CMS_MALFORMED' });
      const signedData = await signWithCard(citizen, MOVING_NOTICE);
      expect(await refusalOf(submit(Buffer.alloc(2 * 1024 * 1024, 0x41), signedData))).toMatchObject({ status: 413, reason: 'PAYLOAD_TOO_LARGE' });
    });

    it('a signing certificate revoked after an address change (403 CERTIFICATE_REVOKED, affiliationChanged)', async () => {
      const mover = await createTestCitizen(platform.endpoints, platform.operatorToken);
      const signedData = await signWithCard(mover, MOVING_NOTICE);
      await new HttpJson(platform.endpoints.ca, platform.operatorToken).post(`/citizens/${mover.personId}/basic-information-changes`, {
        address: '大阪府大阪市北区中之島１丁目３番２０号',
        prefecture: 'Osaka-fu',
        municipality: 'Osaka-shi',
      });
      expect(await refusalOf(submit(MOVING_NOTICE, signedData))).toMatchObject({
        status: 403,
        reason: 'CERTIFICATE_REVOKED',
        details: { revocationReason: 'affiliationChanged', revocationReasonCode: 3 },
      });
    }, 60_000);
  });
});
