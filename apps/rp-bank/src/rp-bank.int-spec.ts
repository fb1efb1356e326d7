import { createHash, generateKeyPairSync, randomBytes, randomUUID, sign } from 'node:crypto';
import {
  BankClient,
  createSubscriber,
  createTestCitizen,
  enrollAndAuthenticate,
  HttpJson,
  refusalOf,
  refusedWith,
  simChallengeSigner,
  type ChallengeSigner,
  type TestCitizen,
} from '@jpki/jpki-client';
import { exportSpkiDer, issueCertificate, JPKI_ROOT_CA_NAME, jpkiIssuingCaName, SoftwareRsaSigner, userAuthenticationSubject } from '@jpki/pki';
import { startPlatformUnderTest, statementsDuring, statementsWithoutIndex, waitUntil, type PlatformUnderTest } from '@jpki/testing';
import { startBank, type BankUnderTest } from './test/bank-harness';

const PIN = '2580';



/** A look-alike hierarchy with the JPKI names but other keys (an attacker's CA). */
async function forgedHolder(): Promise<ChallengeSigner> {
  const now = new Date();
  const day = 86_400_000;
  const [rootKey, caKey] = await Promise.all([SoftwareRsaSigner.generate(), SoftwareRsaSigner.generate()]);
  const root = await issueCertificate({
    profile: 'jpki-root-ca',
    serialNumber: 1n,
    subject: JPKI_ROOT_CA_NAME,
    subjectPublicKeyInfo: rootKey.publicKeySpki,
    validity: { notBefore: new Date(now.getTime() - day), notAfter: new Date(now.getTime() + 3650 * day) },
    issuer: { signer: rootKey },
  });
  const ca = await issueCertificate({
    profile: 'jpki-user-authentication-ca',
    serialNumber: 2n,
    subject: jpkiIssuingCaName('user-authentication'),
    subjectPublicKeyInfo: caKey.publicKeySpki,
    validity: { notBefore: new Date(now.getTime() - day), notAfter: new Date(now.getTime() + 3000 * day) },
    issuer: { signer: rootKey, certificate: root },
    crlDistributionPointUri: 'http://forged.example/root.crl',
  });
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const certificate = await issueCertificate({
    profile: 'jpki-phone-user-authentication',
    serialNumber: 0x4242n,
    subject: userAuthenticationSubject('FORGED000001'),
    subjectPublicKeyInfo: exportSpkiDer(publicKey),
    validity: { notBefore: new Date(now.getTime() - day), notAfter: new Date(now.getTime() + 300 * day) },
    issuer: { signer: caKey, certificate: ca },
    crlDistributionPointUri: 'http://forged.example/ua.crl',
    ocspUri: 'http://forged.example/ocsp',
    cardCertificateNotAfter: new Date(now.getTime() + 400 * day),
  });
  return async (challenge) => ({ signature: sign('sha256', challenge, privateKey), certificate });
}

/**
 * rp-bank on the real broker and database, against a platform (CA, SP-TSM, docomo MNO-TSM, vSIM) whose
 * phones are enrolled through the real saga: login by challenge–response with the SIM applet, refusals
 * with precise reasons, sessions ended by the CA's status events and by the OCSP re-check on use.
 */
describe('rp-bank (integration)', () => {
  let platform: PlatformUnderTest;
  let bank: BankUnderTest;
  let client: BankClient;
  let citizen: TestCitizen;
  let serial: string;
  let phone: ChallengeSigner;
  const ca = () => new HttpJson(platform.endpoints.ca, platform.operatorToken);

  beforeAll(async () => {
    platform = await startPlatformUnderTest({ only: ['jpki-ca', 'sp-tsm', 'mno-tsm-docomo', 'vsim'], serviceEnv: { 'jpki-ca': { CRL_DEBOUNCE_MS: '50', KEY_POOL_SIZE: '2', CARD_FILE_KDF_LOG2N: '10' } } });
    bank = await startBank(platform);
    client = new BankClient(bank.url);
    citizen = await createTestCitizen(platform.endpoints, platform.operatorToken);
    const subscriber = await createSubscriber(platform.endpoints, platform.operatorToken, 'docomo');
    const { enrollment } = await enrollAndAuthenticate(platform.endpoints, citizen, subscriber, 'docomo', 'on-card', undefined, PIN);
    expect(enrollment.status).toBe('completed');
    serial = enrollment.serial!;
    phone = simChallengeSigner(platform.endpoints, subscriber.handset, PIN);
  }, 180_000);

  afterAll(async () => {
    await bank?.close();
    await platform?.stop();
  });

  it('logs a SIM phone in (signature, chain, OCSP) and opens a session bound to its certificate', async () => {
    const login = await client.login(phone);
    expect(login).toMatchObject({ holder: { serial, keyType: 'rsa' }, status: { source: 'ocsp' } });
    const me = await client.account(login.sessionToken);
    expect(me.session).toMatchObject({ sessionId: login.sessionId, certificateSerial: serial });
    expect(me.account).toMatchObject({ accountId: login.account.accountId, holderSubject: login.holder.subject });
    const [row] = await bank.dataSource.query(`SELECT spki_sha256, token_sha256 FROM session WHERE session_id = $1`, [login.sessionId]);
    expect(row.spki_sha256).toBe(login.holder.spkiSha256);
    expect(Buffer.from(row.token_sha256).equals(createHash('sha256').update(login.sessionToken).digest())).toBe(true);
    await client.logout(login.sessionToken);
    expect(await refusalOf(client.account(login.sessionToken))).toMatchObject({ status: 401, reason: 'SESSION_ENDED', details: { endReason: 'LOGOUT' } });
  });

  it('every statement of a login, an account read and a logout is served by an index', async () => {
    const statements = await statementsDuring(async () => {
      const login = await client.login(phone);
      await client.account(login.sessionToken);
      await client.logout(login.sessionToken);
    });
    expect(statements.length).toBeGreaterThan(5);
    expect(await statementsWithoutIndex(String(bank.dataSource.driver.schema), statements)).toEqual([]);
  });

  it('accepts the My Number card’s own user-authentication certificate as well (same CA)', async () => {
    const card: ChallengeSigner = async (challenge) => ({
      signature: await citizen.card.signChallenge(citizen.cardPin, challenge),
      certificate: citizen.card.certificate('user-authentication'),
    });
    expect(await client.login(card)).toMatchObject({ holder: { keyType: 'rsa' }, status: { source: 'ocsp' } });
  });

  it('refuses a replayed, an unknown and an expired challenge (409); each outcome on an issued challenge is recorded once, anonymous floods not at all', async () => {
    const { challengeId, challenge } = await client.challenge();
    const answer = await phone(Buffer.from(challenge, 'base64'));
    await client.submitLogin(challengeId, answer);
    expect(await refusalOf(client.submitLogin(challengeId, answer))).toMatchObject({ status: 409, reason: 'CHALLENGE_REPLAYED' });
    expect(await refusalOf(client.submitLogin('7d1f4a52-8a4e-4c57-9d5e-0f1e2d3c4b5a', answer))).toMatchObject({ status: 409, reason: 'CHALLENGE_UNKNOWN' });
    const expired = await client.challenge();
    await bank.dataSource.query(`UPDATE rp_challenge SET expires_at = now() - interval '1 second' WHERE challenge_id = $1`, [expired.challengeId]);
    expect(await refusalOf(client.submitLogin(expired.challengeId, await phone(Buffer.from(expired.challenge, 'base64'))))).toMatchObject({
      status: 409,
      reason: 'CHALLENGE_EXPIRED',
    });
    const outcomes = (await bank.dataSource.query(`SELECT outcome FROM login_attempt WHERE challenge_id = $1 ORDER BY id`, [challengeId])).map((r: { outcome: string }) => r.outcome);
    expect(outcomes).toEqual(['OK', 'CHALLENGE_REPLAYED']);

    const unknownIds = Array.from({ length: 30 }, () => randomUUID());
    for (const id of unknownIds) expect(await refusalOf(client.submitLogin(id, answer))).toMatchObject({ status: 409, reason: 'CHALLENGE_UNKNOWN' });
    for (let i = 0; i < 30; i++) expect(await refusalOf(client.submitLogin(challengeId, answer))).toMatchObject({ status: 409, reason: 'CHALLENGE_REPLAYED' });
    const [{ stored }] = await bank.dataSource.query(`SELECT count(*)::int AS stored FROM login_attempt WHERE challenge_id = ANY($1)`, [[...unknownIds, challengeId]]);
    expect(stored).toBe(2);
  });

  it('refuses a signature over something else (401 SIGNATURE_INVALID) and a look-alike CA (401 CHAIN_UNTRUSTED)', async () => {
    const { challengeId } = await client.challenge();
    const wrong = await phone(randomBytes(32));
    expect(await refusalOf(client.submitLogin(challengeId, wrong))).toMatchObject({ status: 401, reason: 'SIGNATURE_INVALID', details: { serial } });
    expect(await refusalOf(client.login(await forgedHolder()))).toMatchObject({ status: 401, reason: 'CHAIN_UNTRUSTED', details: { validationReason: 'CHAIN_UNTRUSTED' } });
  });

  it('ends the sessions of a held certificate (Kafka), refuses it while on hold, accepts it again after release', async () => {
    const login = await client.login(phone);
    await ca().post(`/certificates/${serial}/revocation`, { reason: 'certificateHold', comment: 'loss report (test)' });
    const ended = await waitUntil(() => refusedWith(client.account(login.sessionToken), 'SESSION_ENDED'), 20_000, 'session ended by the status event');
    expect(ended).toMatchObject({ status: 401, details: { endReason: 'CERTIFICATE_ON_HOLD' } });
    expect(await refusalOf(client.login(phone))).toMatchObject({
      status: 403,
      reason: 'CERTIFICATE_ON_HOLD',
      details: { serial, revocationReason: 'certificateHold', revocationReasonCode: 6, statusSource: 'ocsp' },
    });

    await ca().post(`/certificates/${serial}/hold-release`, {});
    const again = await waitUntil(() => client.login(phone).catch(() => undefined), 20_000, 'login after release');
    expect((await client.account(again.sessionToken)).session.certificateSerial).toBe(serial);
  }, 60_000);

  it('re-checks the status by OCSP on use when the last check is old, and ends the session on a refusal', async () => {
    const login = await client.login(phone);
    await ca().post(`/certificates/${serial}/revocation`, { reason: 'certificateHold' });
    await waitUntil(() => refusedWith(client.account(login.sessionToken), 'SESSION_ENDED'), 20_000, 'session ended');
    // A session the event could not reach (e.g. created by a replica that missed it): revive one, with an old check.
    const token = randomBytes(32).toString('base64url');
    await bank.dataSource.query(
      `INSERT INTO session (session_id, token_sha256, account_id, certificate_serial, spki_sha256, certificate, created_at, expires_at, status_checked_at)
       SELECT gen_random_uuid(), $2, account_id, certificate_serial, spki_sha256, certificate, now(), now() + interval '10 minutes', now() - interval '1 hour'
       FROM session WHERE session_id = $1`,
      [login.sessionId, createHash('sha256').update(token).digest()],
    );
    expect(await refusalOf(client.account(token))).toMatchObject({ status: 403, reason: 'CERTIFICATE_ON_HOLD', details: { statusSource: 'ocsp' } });
    expect(await refusalOf(client.account(token))).toMatchObject({ status: 401, reason: 'SESSION_ENDED', details: { endReason: 'CERTIFICATE_ON_HOLD' } });
    await ca().post(`/certificates/${serial}/hold-release`, {});
    await waitUntil(() => client.login(phone).catch(() => undefined), 20_000, 'login after release');
  }, 60_000);

  it('refuses a revoked certificate with its RFC 5280 reason (403 CERTIFICATE_REVOKED keyCompromise)', async () => {
    await ca().post(`/certificates/${serial}/revocation`, { reason: 'keyCompromise' });
    expect(await refusalOf(client.login(phone))).toMatchObject({
      status: 403,
      reason: 'CERTIFICATE_REVOKED',
      details: { revocationReason: 'keyCompromise', revocationReasonCode: 1 },
    });
  });

  it('fails closed when the OCSP responder is unreachable (503 STATUS_UNAVAILABLE)', async () => {
    const offline = await startBank(platform, { JPKI_CA_URL: 'http://127.0.0.1:9', CA_HTTP_TIMEOUT_MS: '500' });
    try {
      const card: ChallengeSigner = async (challenge) => ({
        signature: await citizen.card.signChallenge(citizen.cardPin, challenge),
        certificate: citizen.card.certificate('user-authentication'),
      });
      expect(await refusalOf(new BankClient(offline.url).login(card))).toMatchObject({ status: 503, reason: 'STATUS_UNAVAILABLE' });
    } finally {
      await offline.close();
    }
  });
});
