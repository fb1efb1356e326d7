import { randomBytes } from 'node:crypto';
import {
  BankClient,
  createEsePhone,
  createSubscriber,
  createTestCitizen,
  HttpJson,
  JpkiUiApp,
  refusalOf,
  simChallengeSigner,
  type ChallengeSigner,
  type Handset,
  type Subscriber,
  type TestCitizen,
} from '@jpki/jpki-client';
import { OpenSslWorkspace } from '@jpki/openssl-judge';
import { decodeCertificate, formatSerialNumber, readJpkiPersonalData, toPem } from '@jpki/pki';
import { startPlatformUnderTest, waitUntil, type PlatformUnderTest } from '@jpki/testing';

const PIN = '2580';
const SIGNING_PASSWORD = 'PHONESIGN2026';

/**
 * The phone carries both certificates (docs/DESIGN.md §3.4, §4.1): one enrollment, asked for in the signed application,
 * gives the applet's user-authentication instance (4-digit PIN) and its signing instance (password), in the SIM or in
 * the handset's embedded SE (managed by the SE-management TSM). Every service is its own process on the real broker
 * and database; openssl judges the signature, the chains and the status of both phone kinds.
 */
describe('e2e: the phone signing certificate on a SIM and on an eSE — bank login, e-application, device change, address change', () => {
  let platform: PlatformUnderTest;
  let app: JpkiUiApp;
  let citizen: TestCitizen;
  let subscriber: Subscriber;
  /** The person's current phone: the SIM phone, then (after the device changes) the eSE phone. */
  let handset: Handset;
  let phone: ChallengeSigner;
  let serial: string;
  let signingSerial: string;
  let openssl: OpenSslWorkspace;

  const document = Buffer.from(JSON.stringify({ form: '転居届 (simulated)', submittedAt: new Date().toISOString(), nonce: randomBytes(8).toString('hex') }));
  const submit = (signedData: Buffer) =>
    new HttpJson(platform.endpoints.rpEapplication).post<{ applicationId: string; signer: { serial: string }; personalData: { name: string; address: string } }>(
      '/applications',
      { document: document.toString('base64'), signedData: signedData.toString('base64') },
    );
  const pem = async (name: string) => (await fetch(`${platform.endpoints.ca}/ca/${name}.pem`)).text();
  const crlPem = async (ca: string) => toPem(Buffer.from(await (await fetch(`${platform.endpoints.ca}/crl/${ca}.crl`)).arrayBuffer()), 'X509 CRL');
  const ocsp = (issuer: string, certificate: string) =>
    openssl.run(['ocsp', '-issuer', issuer, '-cert', certificate, '-url', `${platform.endpoints.ca}/ocsp`, '-CAfile', 'bundle.pem']);

  /** openssl verify -crl_check and openssl ocsp: both phone certificates (phone-ua.pem, phone-sign.pem) chain and are good. */
  const judgeGood = async () => {
    for (const [certificate, ca, crl] of [
      ['phone-ua.pem', 'ua-ca.pem', 'user-authentication'],
      ['phone-sign.pem', 'sign-ca.pem', 'digital-signature'],
    ]) {
      await openssl.write(`${crl}.crl.pem`, await crlPem(crl));
      const verified = await openssl.run(['verify', '-crl_check', '-CAfile', 'root.pem', '-untrusted', ca, '-CRLfile', `${crl}.crl.pem`, '-purpose', 'any', certificate]);
      expect(verified.output).toContain(`${certificate}: OK`);
      const status = (await ocsp(ca, certificate)).output;
      expect(status).toContain('Response verify OK');
      expect(status).toContain(`${certificate}: good`);
    }
  };
  const expectSuperseded = async () => {
    for (const certificate of ['phone-ua.pem', 'phone-sign.pem']) {
      const ca = certificate === 'phone-ua.pem' ? 'ua-ca.pem' : 'sign-ca.pem';
      expect((await ocsp(ca, certificate)).output).toMatch(new RegExp(`${certificate.replace('.', '\\.')}: revoked[\\s\\S]*Reason: superseded`));
    }
  };
  /** The lifecycle case once it is no longer open. */
  const waitForCase = (caseId: string) =>
    waitUntil(async () => {
      const c = await new HttpJson(platform.endpoints.lifecycle, platform.operatorToken).get<{ status: string; outcomes: Record<string, string> }>(`/cases/${caseId}`);
      return c.status !== 'open' ? c : undefined;
    }, 60_000, `lifecycle case ${caseId}`);
  /** Lifecycle's device-change case for the phone `serial` (the one the new enrollment superseded), once completed. */
  const deviceChangeOf = (serial: string) =>
    waitUntil(async () => {
      const cases = await new HttpJson(platform.endpoints.lifecycle, platform.operatorToken).get<{ caseId: string; status: string; serial?: string }[]>(
        `/cases?personId=${citizen.personId}&kind=device-change`,
      );
      return cases.find((c) => c.serial === serial && c.status === 'completed');
    }, 60_000, `the device change case of ${serial} completed`);

  /** The person now uses `next`: its certificates are read from its applet; the bank login and the e-application use them. */
  const useNewPhone = async (next: Handset, done: { serial?: string; signingSerial?: string }) => {
    handset = next;
    serial = done.serial!;
    signingSerial = done.signingSerial!;
    phone = simChallengeSigner(platform.endpoints, handset, PIN);
    await openssl.write('phone-ua.pem', toPem(await app.withApplet(handset, (applet) => applet.readCertificate()), 'CERTIFICATE'));
    await openssl.write('phone-sign.pem', toPem(await app.withApplet(handset, (applet) => applet.readCertificate(), 'signing'), 'CERTIFICATE'));
    expect((await ocsp('sign-ca.pem', 'phone-sign.pem')).output).toContain('phone-sign.pem: good');
    expect(await submit((await app.signDocument(handset, SIGNING_PASSWORD, document)).signedData)).toMatchObject({ signer: { serial: signingSerial } });
    expect(await new BankClient(platform.endpoints.rpBank).login(phone)).toMatchObject({ holder: { serial } });
  };

  beforeAll(async () => {
    platform = await startPlatformUnderTest({ only: ['jpki-ca', 'sp-tsm', 'mno-tsm-docomo', 'se-tsm', 'vsim', 'lifecycle', 'rp-bank', 'rp-eapplication'] });
    const e = platform.endpoints;
    app = new JpkiUiApp(e);
    openssl = await OpenSslWorkspace.create();
    citizen = await createTestCitizen(e, platform.operatorToken);
    subscriber = await createSubscriber(e, platform.operatorToken, 'docomo');
    handset = subscriber.handset;
    await openssl.write('root.pem', await pem('root'));
    await openssl.write('ua-ca.pem', await pem('user-authentication'));
    await openssl.write('sign-ca.pem', await pem('digital-signature'));
    await openssl.write('bundle.pem', (await pem('root')) + (await pem('user-authentication')) + (await pem('digital-signature')));
  }, 180_000);

  afterAll(async () => {
    await openssl?.dispose();
    await platform?.stop();
  });

  it('enrolls with both certificates in one enrollment; the bank login uses the user-authentication certificate', async () => {
    const done = await app.enroll({
      card: citizen.card,
      signingPassword: citizen.signingPassword,
      msisdn: subscriber.msisdn,
      operator: 'docomo',
      keyMode: 'on-card',
      handset: subscriber.handset,
      phonePin: PIN,
      signingCertificate: true,
      phoneSigningPassword: SIGNING_PASSWORD,
    });
    expect(done).toMatchObject({ status: 'completed', state: 'operational', serial: expect.any(String), signingSerial: expect.any(String) });
    serial = done.serial!;
    signingSerial = done.signingSerial!;
    phone = simChallengeSigner(platform.endpoints, subscriber.handset, PIN);
    const login = await new BankClient(platform.endpoints.rpBank).login(phone);
    expect(login).toMatchObject({ holder: { serial }, status: { source: 'ocsp' } });
  }, 120_000);

  it('openssl verify -crl_check and openssl ocsp judge both phone certificates; only the signing one carries the 基本4情報', async () => {
    const authentication = await app.withApplet(subscriber.handset, (applet) => applet.readCertificate());
    const signing = await app.withApplet(subscriber.handset, (applet) => applet.readCertificate(), 'signing');
    expect(formatSerialNumber(decodeCertificate(authentication).tbs.serialNumber)).toBe(serial);
    expect(formatSerialNumber(decodeCertificate(signing).tbs.serialNumber)).toBe(signingSerial);
    expect(readJpkiPersonalData(signing)).toMatchObject({ name: '山田 太郎', address: '東京都千代田区霞が関2-1-2' });
    expect(readJpkiPersonalData(authentication)).toBeUndefined();
    await openssl.write('phone-ua.pem', toPem(authentication, 'CERTIFICATE'));
    await openssl.write('phone-sign.pem', toPem(signing, 'CERTIFICATE'));
    await judgeGood();
  });

  it('the e-application relying party accepts a document signed with the phone signing key; openssl cms -verify accepts the same signature', async () => {
    const { signedData } = await app.signDocument(subscriber.handset, SIGNING_PASSWORD, document);
    await openssl.write('document.json', document.toString('utf8'));
    await openssl.write('document.p7s', signedData);
    const judged = await openssl.run(['cms', '-verify', '-binary', '-inform', 'DER', '-in', 'document.p7s', '-content', 'document.json', '-CAfile', 'bundle.pem', '-purpose', 'any', '-out', '/dev/null']);
    expect(judged.output).toContain('Verification successful');
    const accepted = await submit(signedData);
    expect(accepted).toMatchObject({ signer: { serial: signingSerial }, personalData: { name: '山田 太郎', address: '東京都千代田区霞が関2-1-2' } });
  });

  it('a loss report holds both phone certificates (the signing one follows the phone), finding the phone releases both; lifecycle keeps the user-authentication one as the phone', async () => {
    const lifecycle = new HttpJson(platform.endpoints.lifecycle, platform.operatorToken);
    await waitUntil(() => lifecycle.get(`/phones?serial=${serial}`).catch(() => undefined), 30_000, 'the phone known to lifecycle');
    const { signedData } = await app.signDocument(subscriber.handset, SIGNING_PASSWORD, document);
    const loss = await lifecycle.post<{ caseId: string }>('/loss-reports', { msisdn: subscriber.msisdn, reason: 'lost with both certificates (e2e)' });
    expect(await waitForCase(loss.caseId)).toMatchObject({ status: 'completed', outcomes: { certificate: 'on-hold' } });
    expect((await ocsp('sign-ca.pem', 'phone-sign.pem')).output).toMatch(/phone-sign\.pem: revoked[\s\S]*Reason: certificateHold/);
    expect(await refusalOf(submit(signedData))).toMatchObject({ status: 403, reason: 'CERTIFICATE_ON_HOLD' });
    const found = await lifecycle.post<{ caseId: string }>('/found-reports', { iccid: subscriber.iccid, reason: 'found at home (e2e)' });
    expect(await waitForCase(found.caseId)).toMatchObject({ status: 'completed' });
    expect((await ocsp('sign-ca.pem', 'phone-sign.pem')).output).toContain('phone-sign.pem: good');
    expect(await lifecycle.get(`/phones?serial=${serial}`)).toMatchObject({ serial, certificate: { status: 'good' } });
    expect(await submit((await app.signDocument(subscriber.handset, SIGNING_PASSWORD, document)).signedData)).toMatchObject({ signer: { serial: signingSerial } });
  }, 120_000);

  it('device change to a new SIM phone moves both certificates: the new enrollment supersedes the old phone’s two, the old SSD is deleted, the new signing key signs e-applications', async () => {
    const lifecycle = new HttpJson(platform.endpoints.lifecycle, platform.operatorToken);
    const old = { subscriber, serial, signingSerial };
    const next = await createSubscriber(platform.endpoints, platform.operatorToken, 'docomo');
    const done = await app.enroll({
      card: citizen.card,
      signingPassword: citizen.signingPassword,
      msisdn: next.msisdn,
      operator: 'docomo',
      keyMode: 'on-card',
      handset: next.handset,
      phonePin: PIN,
      signingCertificate: true,
      phoneSigningPassword: SIGNING_PASSWORD,
    });
    expect(done).toMatchObject({ status: 'completed', iccid: next.iccid });
    await expectSuperseded();
    expect(await deviceChangeOf(old.serial)).toBeDefined();
    expect((await lifecycle.get(`/phones?serial=${old.serial}`)) as object).toMatchObject({ certificate: { status: 'revoked', revocationReason: 'superseded' }, service: { state: 'terminated' } });
    subscriber = next;
    await useNewPhone(next.handset, done);
  }, 180_000);

  it('device change from the SIM phone to an eSE phone moves both certificates: the SE-management TSM provisions the eSE, the SIM phone’s two are superseded and its SSD deleted; openssl, the bank and the e-application judge the eSE phone’s', async () => {
    const lifecycle = new HttpJson(platform.endpoints.lifecycle, platform.operatorToken);
    const old = { serial, iccid: subscriber.iccid };
    const ese = await createEsePhone(platform.endpoints, platform.operatorToken, 'docomo');
    const done = await app.enroll({
      card: citizen.card,
      signingPassword: citizen.signingPassword,
      msisdn: ese.subscriber.msisdn,
      operator: 'docomo',
      keyMode: 'on-card',
      seid: ese.seid,
      handset: ese.handset,
      phonePin: PIN,
      signingCertificate: true,
      phoneSigningPassword: SIGNING_PASSWORD,
    });
    expect(done).toMatchObject({ status: 'completed', state: 'operational', seid: ese.seid });
    expect(done.iccid).toBeUndefined();
    await expectSuperseded();
    expect(await deviceChangeOf(old.serial)).toBeDefined();
    expect(await lifecycle.get(`/phones?serial=${old.serial}`)).toMatchObject({ iccid: old.iccid, service: { state: 'terminated' } });
    await useNewPhone(ese.handset, done);
    await judgeGood();
    const esePhone = await waitUntil(() => lifecycle.get<{ deviceKind: string }>(`/phones?serial=${serial}`).catch(() => undefined), 30_000, 'the eSE phone known to lifecycle');
    expect(esePhone).toMatchObject({ deviceKind: 'ese', seid: ese.seid, iccid: null, msisdn: ese.subscriber.msisdn });
  }, 180_000);

  it('a loss report for the eSE phone holds both certificates and locks its SSD through the SE-management TSM; found releases both and unlocks it', async () => {
    const lifecycle = new HttpJson(platform.endpoints.lifecycle, platform.operatorToken);
    const loss = await lifecycle.post<{ caseId: string }>('/loss-reports', { serial, reason: 'eSE phone lost (e2e)' });
    expect(await waitForCase(loss.caseId)).toMatchObject({ status: 'completed', outcomes: { certificate: 'on-hold', service: 'done' } });
    expect(await lifecycle.get(`/phones?serial=${serial}`)).toMatchObject({ deviceKind: 'ese', certificate: { status: 'on-hold' }, service: { state: 'suspended' } });
    expect((await ocsp('sign-ca.pem', 'phone-sign.pem')).output).toMatch(/phone-sign\.pem: revoked[\s\S]*Reason: certificateHold/);
    // the SSD is locked with its applets: a LOCKED applet is not selectable, the handset's SELECT is answered 6A82
    expect(await refusalOf(app.signChallenge(handset, PIN, randomBytes(32)))).toMatchObject({
      status: 404,
      reason: 'APPLET_NOT_FOUND',
      details: { selectResponse: '6A82' },
    });
    const found = await lifecycle.post<{ caseId: string }>('/found-reports', { serial, reason: 'eSE phone found (e2e)' });
    expect(await waitForCase(found.caseId)).toMatchObject({ status: 'completed', outcomes: { service: 'done' } });
    expect(await lifecycle.get(`/phones?serial=${serial}`)).toMatchObject({ certificate: { status: 'good' }, service: { state: 'operational' } });
    expect(await new BankClient(platform.endpoints.rpBank).login(phone)).toMatchObject({ holder: { serial } });
  }, 120_000);

  it('an address change revokes every signing certificate of the person (card and phone, affiliationChanged): the e-application RP refuses the old signature, the bank login still works', async () => {
    const { signedData } = await app.signDocument(handset, SIGNING_PASSWORD, document);
    const cardSigning = citizen.card.certificate('signing');
    const changed = await new HttpJson(platform.endpoints.ca, platform.operatorToken).post(`/citizens/${citizen.personId}/basic-information-changes`, {
      address: '大阪府大阪市北区中之島１丁目３番２０号',
      prefecture: 'Osaka-fu',
      municipality: 'Osaka-shi',
    });
    expect(changed).toMatchObject({ changed: [{ serial: formatSerialNumber(decodeCertificate(cardSigning).tbs.serialNumber) }], cascaded: [{ serial: signingSerial, revocationReason: 'affiliationChanged' }] });
    await openssl.write('card-sign.pem', toPem(cardSigning, 'CERTIFICATE'));
    for (const certificate of ['card-sign.pem', 'phone-sign.pem']) {
      expect((await ocsp('sign-ca.pem', certificate)).output).toMatch(new RegExp(`${certificate.replace('.', '\\.')}: revoked[\\s\\S]*Reason: affiliationChanged`));
    }
    expect((await ocsp('ua-ca.pem', 'phone-ua.pem')).output).toContain('phone-ua.pem: good');
    const refusal = await waitUntil(async () => {
      const r = await refusalOf(submit(signedData));
      return r.reason === 'CERTIFICATE_REVOKED' ? r : undefined;
    }, 20_000, 'the e-application RP sees the revocation');
    expect(refusal).toMatchObject({ status: 403, details: expect.objectContaining({ revocationReason: 'affiliationChanged' }) });
    expect(await new BankClient(platform.endpoints.rpBank).login(phone)).toMatchObject({ holder: { serial }, status: { source: 'ocsp' } });
  }, 60_000);
});
