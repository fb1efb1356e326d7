/**
 * jpki-ca on the real Kafka broker and PostgreSQL: hierarchy, test citizens, identity proofing, issuance
 * (exactly once, crash between allocation and signing, lint), one active phone, revocation with cascade and
 * hold/release, OCSP and CRL judged by the OpenSSL CLI, and the hash-chained audit log.
 */
import { createPrivateKey, randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import { Client } from 'pg';
import {
  CertificateIssuanceFailed,
  CertificateIssuanceRequested,
  CertificateIssued,
  CertificateStatusChanged,
  Headers,
  HoldReleaseRequested,
  IdentityProofingCompleted,
  IdentityProofingRequested,
  RevocationRefused,
  RevocationRequested,
  type PayloadOf,
} from '@jpki/contracts';
import { open, transportPrivateKey } from '@jpki/crypto';
import {
  buildCsr,
  buildOcspRequest,
  decodeCertificate,
  exportSpkiDer,
  formatDistinguishedName,
  formatSerialNumber,
  generateRsaKeyPair,
  JpkiOid,
  parseCrl,
  readCertificateExtensions,
  readJpkiPersonalData,
  signCms,
  SoftwareRsaSigner,
  toPem,
  verifyOcspResponse,
  type CertificateStatus,
} from '@jpki/pki';
import { VirtualMyNumberCard, type CardFile } from '@jpki/mynumber-card';
import { Clock } from '@jpki/service-kit';
import { statementsDuring, statementsWithoutIndex, testDatabaseUrl, waitUntil } from '@jpki/testing';
import { FaultInjector } from './ra/faults';
import { CaHarness, citizenBody, PASSWORD, PIN, type TestCitizen } from './test/ca-harness';
import { OpenSslWorkspace } from '@jpki/openssl-judge';

type Issued = PayloadOf<typeof CertificateIssued>;
type Failed = PayloadOf<typeof CertificateIssuanceFailed>;
type Proofed = PayloadOf<typeof IdentityProofingCompleted>;
type StatusChanged = PayloadOf<typeof CertificateStatusChanged>;
type IssuanceRequest = PayloadOf<typeof CertificateIssuanceRequested>;

const randomIccid = () => `8981${Array.from(randomBytes(15), (b) => b % 10).join('')}`;
const DAY = 86_400_000;
/** Statements that read a whole table on purpose: the CA's few keys, retention of published outbox rows. */
const CA_HOUSEKEEPING = ['FROM ca_authority', 'DELETE FROM outbox WHERE published_at <'];

describe('jpki-ca on the real broker and database', () => {
  let ca: CaHarness;
  let openssl: OpenSslWorkspace;
  let keys: KeyObject[];
  let weakKey: KeyObject;
  let alice: TestCitizen;
  let bundle: string;

  const nextKey = () => {
    const key = keys.shift();
    if (!key) throw new Error('test key pool exhausted');
    return key;
  };

  const csrFor = async (key: KeyObject) =>
    (await buildCsr({ subject: [{ type: 'C', value: 'JP' }, { type: 'CN', value: 'JPKI applet' }], signer: new SoftwareRsaSigner(key) })).toString('base64');

  /** A phone issuance request following a fresh identity proofing of the person for this phone (the record it consumes). */
  const issuanceRequest = async (personId: string, overrides: Partial<IssuanceRequest> = {}): Promise<IssuanceRequest> => {
    const device = overrides.device ?? { kind: 'sim', iccid: randomIccid(), msisdn: '+819012345678', carrier: 'docomo' };
    const keySource = overrides.keySource ?? { mode: 'csr', csr: await csrFor(nextKey()) };
    return {
      requestId: `iss-${randomUUID()}`,
      personId,
      enrollmentId: `enr-${randomUUID().slice(0, 8)}`,
      device,
      ...(keySource.mode === 'renewal' ? {} : { proofingRequestId: await ca.proofingFor(personId, device, keySource.mode) }),
      ...overrides,
      keySource,
    };
  };

  const issue = async (request: IssuanceRequest) => {
    await ca.send(CertificateIssuanceRequested, request);
    return ca.answer<Issued | Failed>(request.requestId, [CertificateIssued.type, CertificateIssuanceFailed.type]);
  };

  const issueOk = async (personId: string, overrides: Partial<IssuanceRequest> = {}): Promise<Issued> => {
    const answer = await issue(await issuanceRequest(personId, overrides));
    if (answer.type !== CertificateIssued.type) throw new Error(`issuance failed: ${JSON.stringify(answer.payload)}`);
    return answer.payload as Issued;
  };

  const application = (overrides: Record<string, unknown> = {}) =>
    Buffer.from(
      JSON.stringify({
        purpose: 'phone-enrollment',
        nonce: randomBytes(16).toString('base64url'),
        requestedAt: ca.get(Clock).now().toISOString(),
        carrier: 'kddi',
        msisdn: '+818011112222',
        keyMode: 'on-device',
        deviceModel: 'Pixel 9',
        ...overrides,
      }),
    );

  const proof = async (signedApplication: Buffer, requestId = `prf-${randomUUID()}`): Promise<Proofed> => {
    await ca.send(IdentityProofingRequested, { requestId, signedApplication: signedApplication.toString('base64') });
    return (await ca.answer<Proofed>(requestId, [IdentityProofingCompleted.type])).payload;
  };

  const uaCa = () => Buffer.from(alice.cardFile.caCertificates.userAuthentication, 'base64');

  /** OCSP over HTTP POST with a nonce, verified with the pki lib (signature, responder authorisation, nonce). */
  const ocsp = async (certificate: Buffer, issuer = uaCa()): Promise<CertificateStatus> => {
    const request = buildOcspRequest({ certificate, issuerCertificate: issuer });
    const res = await fetch(`${ca.baseUrl}/ocsp`, { method: 'POST', headers: { 'content-type': 'application/ocsp-request' }, body: request.der });
    const verified = verifyOcspResponse({
      response: Buffer.from(await res.arrayBuffer()),
      certificate,
      issuerCertificate: issuer,
      nonce: request.nonce,
      at: ca.get(Clock).now(),
    });
    if (!verified.ok) throw new Error(`OCSP response invalid: ${verified.reason} ${verified.detail}`);
    return verified.certificateStatus;
  };

  const opensslOcsp = async (name: string, der: Buffer, ...extra: string[]) => {
    await openssl.write(`${name}.pem`, toPem(der, 'CERTIFICATE'));
    return openssl.run(['ocsp', '-issuer', 'ua.pem', '-cert', `${name}.pem`, '-url', `${ca.baseUrl}/ocsp`, '-resp_text', ...extra]);
  };

  const fetchCrl = async (url: string): Promise<Buffer> => {
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/pkix-crl');
    return Buffer.from(await res.arrayBuffer());
  };

  /** Waits until the CRL at the certificate's CRL DP reflects the latest status change, and returns it (DER). */
  const currentCrl = async (certificate: Buffer): Promise<Buffer> => {
    const [url] = readCertificateExtensions(decodeCertificate(certificate).tbs.extensions).crlDistributionPoints?.uris ?? [];
    expect(url).toMatch(new RegExp(`^${ca.baseUrl}/crl/user-authentication\\.crl$`));
    const [{ last }] = await ca.query<{ last: string }>(`SELECT coalesce(max(id), 0) AS last FROM status_change WHERE issuer_ca = 'user-authentication'`);
    await waitUntil(
      async () => (await ca.count(`SELECT 1 FROM crl WHERE ca_id = 'user-authentication' AND base_crl_number IS NULL AND covered_change_id >= $1`, [last])) > 0,
      5000,
      'CRL covering the last change',
    );
    return fetchCrl(url);
  };

  const revokeHttp = (serial: string, reason: string) =>
    ca.http().post(`/certificates/${serial}/revocation`).set('authorization', ca.token('operator')).send({ reason });

  beforeAll(async () => {
    let generated: KeyObject[];
    [ca, openssl, generated, weakKey] = await Promise.all([
      CaHarness.start({ tag: 'ca1' }),
      OpenSslWorkspace.create(),
      Promise.all(Array.from({ length: 36 }, async () => (await generateRsaKeyPair(2048)).privateKey)),
      generateRsaKeyPair(1024).then((k) => k.privateKey),
    ]);
    keys = generated;
    alice = await ca.createCitizen({ name: '試験 花子', gender: 'female', dateOfBirth: '1990-04-01' });
    const root = Buffer.from(alice.cardFile.caCertificates.root, 'base64');
    const signing = Buffer.from(alice.cardFile.caCertificates.digitalSignature, 'base64');
    await openssl.write('root.pem', toPem(root, 'CERTIFICATE'));
    await openssl.write('ua.pem', toPem(uaCa(), 'CERTIFICATE'));
    bundle = await openssl.write('bundle.pem', toPem(root, 'CERTIFICATE') + toPem(uaCa(), 'CERTIFICATE') + toPem(signing, 'CERTIFICATE'));
  }, 60_000);

  afterAll(async () => {
    await ca?.stop();
    await openssl?.dispose();
  });

  describe('CA hierarchy', () => {
    it('serves the SIMULATED root, issuing CAs and responders in DER and PEM, with keys only sealed at rest', async () => {
      const rootRes = await fetch(`${ca.baseUrl}/ca/root.der`);
      expect(rootRes.headers.get('content-type')).toContain('application/pkix-cert');
      const root = Buffer.from(await rootRes.arrayBuffer());
      const pem = (await ca.http().get('/ca/user-authentication.pem').expect(200)).text;
      expect(pem).toContain('-----BEGIN CERTIFICATE-----');
      const rootTbs = decodeCertificate(root).tbs;
      expect(rootTbs.subject.attributes.map((a) => a.value)).toContain('SIMULATED JPKI Root CA');
      const ua = decodeCertificate(pem).tbs;
      expect(ua.subject.attributes.map((a) => `${a.type}=${a.value}`)).toEqual(
        expect.arrayContaining(['OU=JPKI for user authentication', 'CN=SIMULATED JPKI User Authentication CA']),
      );
      expect(readCertificateExtensions(ua.extensions).crlDistributionPoints?.uris).toEqual([`${ca.baseUrl}/crl/root.crl`]);
      const list = (await ca.http().get('/ca').expect(200)).body as { name: string }[];
      expect(list.map((e) => e.name)).toEqual(['root', 'user-authentication', 'digital-signature', 'user-authentication-ocsp', 'digital-signature-ocsp']);
      await openssl.write('sign-ca.pem', (await ca.http().get('/ca/digital-signature.pem')).text);
      await openssl.write('ua-responder.pem', (await ca.http().get('/ca/user-authentication-ocsp.pem')).text);
      const chain = await openssl.run(['verify', '-CAfile', 'root.pem', 'ua.pem', 'sign-ca.pem']);
      expect(chain.output).toContain('ua.pem: OK');
      expect(chain.output).toContain('sign-ca.pem: OK');
      expect((await openssl.run(['verify', '-CAfile', 'root.pem', '-untrusted', 'ua.pem', '-purpose', 'ocsphelper', 'ua-responder.pem'])).output).toContain('OK');
      const stored = await ca.query<{ ca_id: string; sealed_private_key: string }>(`SELECT ca_id, sealed_private_key FROM ca_authority`);
      expect(stored).toHaveLength(5);
      for (const row of stored) {
        expect(row.sealed_private_key).toMatch(/^v1\.[A-Za-z0-9_-]+\./);
        expect(row.sealed_private_key).not.toContain('MIIE');
      }
      await ca.http().get('/ca/nothing.der').expect(404);
    });
  });

  describe('test citizens', () => {
    it('issues a card file: signing certificate with the 4 personal fields, user-authentication certificate without, keys wrapped', async () => {
      const signing = alice.card.certificate('signing');
      const auth = alice.card.certificate('user-authentication');
      expect(readJpkiPersonalData(signing)).toMatchObject({ name: '試験 花子', gender: '2', dateOfBirth: '419900401' });
      expect(readJpkiPersonalData(auth)).toBeUndefined();
      const signingExt = readCertificateExtensions(decodeCertificate(signing).tbs.extensions);
      expect(signingExt.keyUsage).toEqual(['digitalSignature', 'nonRepudiation']);
      expect(signingExt.certificatePolicies).toEqual([JpkiOid.policyDigitalSignature]);
      expect(decodeCertificate(auth).tbs.subject.attributes.map((a) => a.type)).toEqual(['C', 'CN']);
      // the card runs to the 5th birthday after issuance, 23:59:59 JST
      expect(alice.authNotAfter).toMatch(/-04-01T14:59:59/);
      expect(alice.cardFile).toMatchObject({ simulated: true, signing: { triesRemaining: 5 }, userAuthentication: { triesRemaining: 3 } });
      // no PKCS#8 (version 0 + rsaEncryption prefix), PEM or JWK private key anywhere in the file
      expect(JSON.stringify(alice.cardFile)).not.toMatch(/IBADANBgkqhkiG9w0BAQEFAAS|PRIVATE KEY|"d":/);
      expect((await alice.card.verify('user-authentication', PIN)).ok).toBe(true);
      expect(await ca.count(`SELECT 1 FROM issuance WHERE person_id = $1 AND key_mode = 'card' AND state = 'issued'`, [alice.personId])).toBe(2);
    });

    const person = (overrides: Record<string, unknown> = {}) => citizenBody({ name: '一括 太郎', ...overrides });
    const batch = (citizens: unknown, token = ca.token('integrator')) => ca.http().post('/citizens/batch').set('authorization', token).send({ citizens });

    it('issues a batch of cards, each as POST /citizens issues one, and answers a refused person in its place without storing anything for it', async () => {
      const persons = await ca.count('SELECT 1 FROM person');
      const res = await batch([person(), person({ dateOfBirth: '2999-01-01' }), person({ personId: alice.personId }), person({ name: '一括 花子', gender: 'female' })]).expect(200);
      expect(res.body).toMatchObject({ issued: 2, refused: 2 });
      const results = res.body.results as { index: number; statusCode: number; reason?: string; personId?: string; cardFile?: CardFile }[];
      expect(results.map((r) => [r.index, r.statusCode, r.reason])).toEqual([
        [0, 201, undefined],
        [1, 422, 'DATE_OF_BIRTH_IN_FUTURE'],
        [2, 409, 'PERSON_EXISTS'],
        [3, 201, undefined],
      ]);
      const issued = [results[0], results[3]];
      for (const [i, { personId, cardFile }] of issued.entries()) {
        const card = VirtualMyNumberCard.open(cardFile as CardFile);
        expect((await card.verify('user-authentication', PIN)).ok).toBe(true);
        expect(readJpkiPersonalData(card.certificate('signing'))).toMatchObject({ name: ['一括 太郎', '一括 花子'][i] });
        expect(await ca.count(`SELECT 1 FROM issuance WHERE person_id = $1 AND key_mode = 'card' AND state = 'issued'`, [personId])).toBe(2);
        await openssl.write(`batch${i}.pem`, toPem(card.certificate('signing'), 'CERTIFICATE'));
        expect((await openssl.run(['verify', '-CAfile', bundle, `batch${i}.pem`])).output).toContain(`batch${i}.pem: OK`);
      }
      expect(await ca.count('SELECT 1 FROM person')).toBe(persons + 2);
      expect(
        await ca.count(`SELECT 1 FROM audit_log WHERE action = 'citizens.batch' AND details @> $1::jsonb`, [
          JSON.stringify({ issued: issued.map((r) => r.personId), refused: [{ index: 1, statusCode: 422, reason: 'DATE_OF_BIRTH_IN_FUTURE' }, { index: 2, statusCode: 409, reason: 'PERSON_EXISTS' }] }),
        ]),
      ).toBe(1);
    });

    it('refuses a batch that does not validate whole, naming the offending person, and issues nothing', async () => {
      const persons = await ca.count('SELECT 1 FROM person');
      const details = async (citizens: unknown) => (await batch(citizens).expect(400)).body;
      expect(await details([person(), person({ name: 'x'.repeat(101) })])).toMatchObject({ reason: 'VALIDATION_FAILED', details: [{ path: 'citizens.1.name' }] });
      expect(await details([])).toMatchObject({ reason: 'VALIDATION_FAILED', details: [{ path: 'citizens' }] });
      expect(await details(Array.from({ length: 101 }, () => person()))).toMatchObject({ reason: 'VALIDATION_FAILED', details: [{ path: 'citizens' }] });
      const twice = randomUUID();
      expect(await details([person({ personId: twice }), person({ personId: twice })])).toMatchObject({ details: [{ path: 'citizens', message: 'personId appears twice' }] });
      expect((await batch([person()], ca.token('operator')).expect(403)).body.reason).toBe('ROLE_REQUIRED');
      expect((await ca.http().post('/citizens/batch').send({ citizens: [person()] }).expect(401)).body.reason).toBe('AUTH_REQUIRED');
      expect(await ca.count('SELECT 1 FROM person')).toBe(persons);
    });

    it('refuses bad input with a machine-readable 4xx and stores nothing', async () => {
      const persons = await ca.count('SELECT 1 FROM person');
      const post = (body: Record<string, unknown>, token = ca.token('integrator')) =>
        ca
          .http()
          .post('/citizens')
          .set('authorization', token)
          .send({
            name: 'A',
            gender: 'male',
            dateOfBirth: '1980-01-01',
            address: 'Tokyo',
            prefecture: 'Tokyo-to',
            municipality: 'Chiyoda-ku',
            signingPassword: PASSWORD,
            userAuthenticationPin: PIN,
            ...body,
          });
      expect((await post({ name: 'x'.repeat(101) }).expect(400)).body).toMatchObject({ reason: 'VALIDATION_FAILED', details: [{ path: 'name' }] });
      expect((await post({ address: '住'.repeat(201) }).expect(400)).body.details[0].path).toBe('address');
      expect((await post({ signingPassword: 'ABCDEF' }).expect(400)).body.details[0].message).toMatch(/at least one of each/);
      expect((await post({ userAuthenticationPin: '12345' }).expect(400)).body.reason).toBe('VALIDATION_FAILED');
      expect((await post({ personId: alice.personId }).expect(409)).body.reason).toBe('PERSON_EXISTS');
      expect((await post({ dateOfBirth: '2999-01-01' }).expect(422)).body.reason).toBe('DATE_OF_BIRTH_IN_FUTURE');
      expect((await post({}, ca.token('operator')).expect(403)).body.reason).toBe('ROLE_REQUIRED');
      expect((await ca.http().post('/citizens').send({}).expect(401)).body.reason).toBe('AUTH_REQUIRED');
      expect(await ca.count('SELECT 1 FROM person')).toBe(persons);
    });
  });

  describe('identity proofing (ca.identity-proofing.requested)', () => {
    it('verifies an application signed with the card signing key', async () => {
      const content = application();
      const result = await proof(await alice.card.signApplication(PASSWORD, content));
      expect(result).toMatchObject({
        verified: true,
        personId: alice.personId,
        signingCertificateSerial: alice.signingSerial,
        cardUserAuthenticationNotAfter: alice.authNotAfter,
        application: { purpose: 'phone-enrollment', carrier: 'kddi', keyMode: 'on-device' },
      });
      const [audit] = await ca.query<{ action: string }>(`SELECT action FROM audit_log WHERE subject = $1`, [result.requestId]);
      expect(audit.action).toBe('identity-proofing.verified');
    });

    it('refuses a forged signature (SIGNATURE_INVALID)', async () => {
      const forger = new SoftwareRsaSigner(nextKey());
      const forged = await signCms(application(), alice.card.certificate('signing'), forger);
      expect(await proof(forged)).toMatchObject({ verified: false, reason: 'SIGNATURE_INVALID' });
    });

    it('refuses a signature whose certificate is not from the signing CA (WRONG_ISSUER_CA)', async () => {
      const authSigner = await alice.card.userAuthenticationSigner(PIN);
      const wrongCa = await signCms(application(), alice.card.certificate('user-authentication'), authSigner);
      expect(await proof(wrongCa)).toMatchObject({ verified: false, reason: 'WRONG_ISSUER_CA' });
    });

    it('refuses a revoked card signing certificate (CERTIFICATE_REVOKED), e.g. after a 4-info change', async () => {
      const bob = await ca.createCitizen({ name: '試験 次郎' });
      const signed = await bob.card.signApplication(PASSWORD, application());
      await ca
        .http()
        .post(`/citizens/${bob.personId}/card/revocation`)
        .set('authorization', ca.token('integrator'))
        .send({ certificates: 'signing', reason: 'affiliationChanged' })
        .expect(200);
      expect(await proof(signed)).toMatchObject({ verified: false, reason: 'CERTIFICATE_REVOKED', detail: expect.stringContaining('affiliationChanged') });
    });

    it('refuses an expired card certificate at the simulation clock (CERTIFICATE_EXPIRED)', async () => {
      const clock = ca.get(Clock);
      clock.setOffset(6 * 366 * DAY);
      try {
        const signed = await alice.card.signApplication(PASSWORD, application({ requestedAt: clock.now().toISOString() }));
        expect(await proof(signed)).toMatchObject({ verified: false, reason: 'CERTIFICATE_EXPIRED' });
      } finally {
        clock.setOffset(0);
      }
    });

    it('refuses a replayed nonce (NONCE_REPLAYED) but answers a redelivered request the same', async () => {
      const signed = await alice.card.signApplication(PASSWORD, application());
      const requestId = `prf-${randomUUID()}`;
      expect(await proof(signed, requestId)).toMatchObject({ verified: true });
      expect(await proof(signed)).toMatchObject({ verified: false, reason: 'NONCE_REPLAYED' });
      await ca.send(IdentityProofingRequested, { requestId, signedApplication: signed.toString('base64') });
      await waitUntil(() => ca.events<Proofed>(IdentityProofingCompleted.type, requestId).length === 2, 10_000, 'second answer');
      expect(ca.events<Proofed>(IdentityProofingCompleted.type, requestId).every((p) => p.verified)).toBe(true);
    });

    it('refuses stale or malformed applications (APPLICATION_STALE, APPLICATION_INVALID)', async () => {
      const stale = application({ requestedAt: new Date(Date.now() - 11 * 60_000).toISOString() });
      expect(await proof(await alice.card.signApplication(PASSWORD, stale))).toMatchObject({ reason: 'APPLICATION_STALE' });
      const invalid = application({ carrier: undefined, mvno: undefined, extra: 'field' });
      const result = await proof(await alice.card.signApplication(PASSWORD, invalid));
      expect(result).toMatchObject({ verified: false, reason: 'APPLICATION_INVALID' });
      expect(result.detail).toMatch(/extra|carrier/);
      expect(await proof(Buffer.from('not cms'))).toMatchObject({ reason: 'SIGNED_DATA_MALFORMED' });
    });

    it('dead-letters commands from producers that are not allowed or not authentic, and stores nothing', async () => {
      const proofings = await ca.count('SELECT 1 FROM proofing');
      const payload = { requestId: `prf-${randomUUID()}`, signedApplication: 'AAAA' };
      await ca.sendEnvelopes(IdentityProofingRequested, [ca.envelope(IdentityProofingRequested, payload, 'mno-tsm-docomo')]);
      const forged = { ...ca.envelope(IdentityProofingRequested, payload, 'lifecycle'), producer: 'sp-tsm' };
      await ca.sendEnvelopes(IdentityProofingRequested, [forged]);
      await waitUntil(() => ca.deadLetters().length >= 2, 10_000, 'two dead letters');
      expect(ca.deadLetters().map((m) => m.headers[Headers.failureReason])).toEqual(
        expect.arrayContaining(['PRODUCER_NOT_AUTHORIZED', 'PRODUCER_SIGNATURE_INVALID']),
      );
      expect(await ca.count('SELECT 1 FROM proofing')).toBe(proofings);
    });
  });

  describe('issuance (ca.certificate-issuance.requested)', () => {
    it('issues from a CSR: phone profile, bound to the card, AIA/CRL DP from config, accepted by openssl verify -crl_check', async () => {
      const issued = await issueOk(alice.personId);
      const certificate = Buffer.from(issued.certificate, 'base64');
      const tbs = decodeCertificate(certificate).tbs;
      const ext = readCertificateExtensions(tbs.extensions);
      expect(formatSerialNumber(tbs.serialNumber)).toBe(issued.serial);
      expect(tbs.subject.attributes.map((a) => `${a.type}=${a.value}`)).toEqual(['C=JP', `CN=JPKIPHONE${issued.serial}`]);
      expect(ext.certificatePolicies).toEqual([JpkiOid.policyPhoneUserAuthentication]);
      expect(ext.authorityInfoAccess?.ocsp).toEqual([`${ca.baseUrl}/ocsp`]);
      expect(issued.notAfter).toBe(alice.authNotAfter);
      expect(issued.supersededSerials).toEqual([]);
      await openssl.write('phone1.pem', toPem(certificate, 'CERTIFICATE'));
      await openssl.write('crl1.pem', toPem(await currentCrl(certificate), 'X509 CRL'));
      const verified = await openssl.run(['verify', '-crl_check', '-CAfile', bundle, '-CRLfile', 'crl1.pem', 'phone1.pem']);
      expect(verified.output).toContain('phone1.pem: OK');
      const [audit] = await ca.query<{ details: { supersededSerials: string[] } }>(`SELECT details FROM audit_log WHERE action = 'certificate.issued' AND subject = $1`, [issued.serial]);
      expect(audit.details.supersededSerials).toEqual([]);
    });

    it('generates the key on the CA side and delivers it sealed to the recipient only', async () => {
      const carol = await ca.createCitizen();
      const request = await issuanceRequest(carol.personId, { keySource: { mode: 'ca-generated', recipient: 'sp-tsm' } });
      const answer = await issue(request);
      expect(answer.type).toBe(CertificateIssued.type);
      const issued = answer.payload as Issued;
      expect(issued.deliveredKey).toMatchObject({ alg: 'ECDH-ES+A256GCM', recipient: 'sp-tsm' });
      const spTsm = ca.keys.keys.get('sp-tsm')!;
      const pkcs8 = open(issued.deliveredKey!, 'sp-tsm', transportPrivateKey(spTsm.transportPkcs8), `delivered-key/${request.requestId}`);
      const spki = exportSpkiDer(createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }));
      expect(spki.equals(decodeCertificate(Buffer.from(issued.certificate, 'base64')).tbs.subjectPublicKeyInfo)).toBe(true);
      expect(() => open(issued.deliveredKey!, 'sp-tsm', transportPrivateKey(spTsm.transportPkcs8), 'delivered-key/other')).toThrow();
      const [row] = await ca.query<{ delivered_key: { ciphertext: string } }>(`SELECT delivered_key FROM issuance WHERE request_id = $1`, [request.requestId]);
      expect(row.delivered_key.ciphertext).toBe(issued.deliveredKey!.ciphertext);
    });

    it('refuses bad input with a precise reason and stores nothing', async () => {
      const before = { issuance: await ca.count('SELECT 1 FROM issuance'), certificates: await ca.count('SELECT 1 FROM certificate') };
      const validCsr = Buffer.from(await csrFor(nextKey()), 'base64');
      const badSignature = Buffer.from(validCsr);
      badSignature[badSignature.length - 5] ^= 0xff;
      const cases: [Partial<IssuanceRequest>, string, string?][] = [
        [{ keySource: { mode: 'csr', csr: Buffer.from('definitely not a CSR').toString('base64') } }, 'CSR_MALFORMED'],
        [{ keySource: { mode: 'csr', csr: badSignature.toString('base64') } }, 'CSR_SIGNATURE_INVALID'],
        [{ keySource: { mode: 'csr', csr: await csrFor(weakKey) } }, 'KEY_TOO_SMALL'],
        [{ keySource: { mode: 'ca-generated', recipient: 'nobody' } }, 'RECIPIENT_UNKNOWN'],
        [{ personId: randomUUID() }, 'PROOFING_PERSON_MISMATCH'],
      ];
      for (const [overrides, reason] of cases) {
        const answer = await issue(await issuanceRequest(alice.personId, overrides));
        expect(answer).toMatchObject({ type: CertificateIssuanceFailed.type, payload: { reason } });
      }
      // Over-long field: the contract refuses it before any handler runs (dead letter with the cause).
      const tooLong = await issuanceRequest(alice.personId, { enrollmentId: 'E'.repeat(65) });
      await ca.send(CertificateIssuanceRequested, tooLong);
      const dead = await waitUntil(() => ca.deadLetters().find((m) => m.value?.includes(tooLong.requestId)), 10_000, 'dead letter');
      expect(dead.headers[Headers.failureReason]).toBe('PAYLOAD_INVALID');
      expect(dead.headers[Headers.failureDetail]).toContain('enrollmentId');
      expect(await ca.count('SELECT 1 FROM issuance')).toBe(before.issuance);
      expect(await ca.count('SELECT 1 FROM certificate')).toBe(before.certificates);
      expect(await ca.count(`SELECT 1 FROM audit_log WHERE action = 'issuance.refused'`)).toBeGreaterThanOrEqual(cases.length);
    });

    it('issues exactly once when the same request is delivered 100 times', async () => {
      const dave = await ca.createCitizen();
      const request = await issuanceRequest(dave.personId);
      const original = ca.envelope(CertificateIssuanceRequested, request);
      const redeliveries = [
        ...Array.from({ length: 50 }, () => original),
        ...Array.from({ length: 50 }, () => ca.envelope(CertificateIssuanceRequested, request)),
      ];
      await ca.sendEnvelopes(CertificateIssuanceRequested, redeliveries);
      // the 51 distinct messages are each answered (with the same certificate); the 49 identical copies are inbox duplicates
      await waitUntil(() => ca.events(CertificateIssued.type, request.requestId).length >= 51, 30_000, '51 answers');
      await new Promise((r) => setTimeout(r, 500));
      const answers = ca.events<Issued>(CertificateIssued.type, request.requestId);
      expect(answers).toHaveLength(51);
      expect(new Set(answers.map((a) => a.serial)).size).toBe(1);
      expect(new Set(answers.map((a) => a.certificate)).size).toBe(1);
      expect(await ca.count('SELECT 1 FROM certificate WHERE person_id = $1 AND kind = $2', [dave.personId, 'phone-user-authentication'])).toBe(1);
      expect(await ca.count('SELECT 1 FROM issuance WHERE request_id = $1', [request.requestId])).toBe(1);
      expect(await ca.count(`SELECT 1 FROM audit_log WHERE action = 'certificate.issued' AND details->>'requestId' = $1`, [request.requestId])).toBe(1);
      expect(await ca.count(`SELECT 1 FROM audit_log WHERE action = 'issuance.serial-allocated' AND details->>'requestId' = $1`, [request.requestId])).toBe(1);
      expect(ca.events(CertificateIssuanceFailed.type, request.requestId)).toHaveLength(0);
    }, 45_000);

    it('survives a crash between serial allocation and signing: nothing half-issued, the retry completes with the same serial', async () => {
      const erin = await ca.createCitizen();
      const faults = ca.get(FaultInjector);
      const request = await issuanceRequest(erin.personId);
      faults.arm('crash-after-allocation', 1000);
      try {
        await ca.send(CertificateIssuanceRequested, request);
        await waitUntil(() => faults.firedCount('crash-after-allocation') >= 1, 10_000, 'injected crash');
        const [allocated] = await ca.query<{ serial: string; state: string; tbs: Buffer }>(
          `SELECT serial, state, tbs_certificate AS tbs FROM issuance WHERE request_id = $1`,
          [request.requestId],
        );
        expect(allocated.state).toBe('allocated');
        expect(allocated.tbs.length).toBeGreaterThan(500);
        expect(await ca.count('SELECT 1 FROM certificate WHERE request_id = $1', [request.requestId])).toBe(0);
        expect(ca.events(CertificateIssued.type, request.requestId)).toHaveLength(0);
        faults.disarm('crash-after-allocation');
        const answer = await ca.answer<Issued>(request.requestId, [CertificateIssued.type], 15_000);
        expect(answer.payload.serial).toBe(allocated.serial);
        const certificate = Buffer.from(answer.payload.certificate, 'base64');
        expect(decodeCertificate(certificate).tbs.raw.equals(allocated.tbs)).toBe(true);
        expect(await ca.count('SELECT 1 FROM certificate WHERE request_id = $1', [request.requestId])).toBe(1);
      } finally {
        faults.disarm('crash-after-allocation');
      }
    }, 30_000);

    it('issues nothing when pre-issuance lint fails (LINT_FAILED)', async () => {
      const faults = ca.get(FaultInjector);
      const request = await issuanceRequest(alice.personId);
      faults.arm('ignore-card-bound');
      try {
        const answer = await issue(request);
        expect(answer).toMatchObject({ type: CertificateIssuanceFailed.type, payload: { reason: 'LINT_FAILED' } });
        expect((answer.payload as Failed).detail).toContain('VALIDITY_EXCEEDS_CARD_CERTIFICATE');
      } finally {
        faults.disarm('ignore-card-bound');
      }
      const [row] = await ca.query<{ state: string; lint_findings: { code: string }[] }>(`SELECT state, lint_findings FROM issuance WHERE request_id = $1`, [request.requestId]);
      expect(row.state).toBe('failed');
      expect(row.lint_findings.map((f) => f.code)).toContain('VALIDITY_EXCEEDS_CARD_CERTIFICATE');
      expect(await ca.count('SELECT 1 FROM certificate WHERE request_id = $1', [request.requestId])).toBe(0);
    });

    it('keeps one active phone per person: a new phone supersedes the old one (OCSP: revoked, superseded)', async () => {
      const frank = await ca.createCitizen();
      const first = await issueOk(frank.personId);
      const firstDer = Buffer.from(first.certificate, 'base64');
      expect(await ocsp(firstDer)).toEqual({ status: 'good' });
      // Another SIM (a new ICCID); iPhone bindings need an attested P-256 key (see ra/attestation.int-spec.ts, which also covers SIM ↔ iPhone).
      const second = await issueOk(frank.personId);
      expect(second.supersededSerials).toEqual([first.serial]);
      const change = await ca.waitForEvent<StatusChanged>(CertificateStatusChanged.type, (p) => p.serial === first.serial);
      expect(change).toMatchObject({ status: 'revoked', reason: 'superseded', personId: frank.personId, enrollmentId: first.enrollmentId, device: first.device });
      expect(await ocsp(firstDer)).toMatchObject({ status: 'revoked', reason: 'superseded' });
      expect(await ocsp(Buffer.from(second.certificate, 'base64'))).toEqual({ status: 'good' });
      expect(await ca.count(`SELECT 1 FROM certificate WHERE person_id = $1 AND kind = 'phone-user-authentication' AND status <> 'revoked'`, [frank.personId])).toBe(1);
    });
  });

  describe('revocation, OCSP and CRL', () => {
    it('a status change and the pre-signing it makes due are served by indexes: the pre-signer reads only the answers due, not every certificate', async () => {
      const heidi = await ca.createCitizen();
      const issued = await issueOk(heidi.personId);
      const presignedAtCurrentStatus = async () =>
        (await ca.count('SELECT 1 FROM ocsp_response o JOIN certificate c USING (serial) WHERE serial = $1 AND o.status_version = c.status_version', [issued.serial])) === 1;
      await waitUntil(presignedAtCurrentStatus, 5000, 'pre-signed while good');
      const statements = await statementsDuring(async () => {
        await revokeHttp(issued.serial, 'keyCompromise').expect(200);
        await waitUntil(presignedAtCurrentStatus, 5000, 'pre-signed again once revoked');
      });
      expect(statements.some(({ sql }) => sql.includes('FOR UPDATE OF o SKIP LOCKED'))).toBe(true);
      expect(await statementsWithoutIndex(String(ca.dataSource.driver.schema), statements, CA_HOUSEKEEPING)).toEqual([]);
      const [due] = await ca.query<{ refresh_at: Date; produced_at: Date; next_update: Date }>('SELECT refresh_at, produced_at, next_update FROM ocsp_response WHERE serial = $1', [issued.serial]);
      expect(due.refresh_at.getTime()).toBe(due.produced_at.getTime() + (due.next_update.getTime() - due.produced_at.getTime()) / 2);
    });

    it('a simulation clock moved years ahead retires the pre-signed answers of expired certificates without renewing a responder; moved back, they are due on their schedule again', async () => {
      const ivan = await ca.createCitizen();
      const issued = await issueOk(ivan.personId);
      const due = async () => (await ca.query<{ due: string }>('SELECT refresh_at::text AS due FROM ocsp_response WHERE serial = $1', [issued.serial]))[0].due;
      await waitUntil(async () => (await due()) !== '-infinity', 5000, 'pre-signed');
      const scheduled = await due();
      const responder = (await ca.http().get('/ca/user-authentication-ocsp.pem')).text;
      const clock = ca.get(Clock);
      clock.setOffset(6 * 366 * DAY);
      try {
        await waitUntil(async () => (await due()) === 'infinity', 5000, 'retired while expired');
      } finally {
        clock.setOffset(0);
      }
      await waitUntil(async () => (await due()) === scheduled, 5000, 'due on its schedule again');
      expect((await ca.http().get('/ca/user-authentication-ocsp.pem')).text).toBe(responder);
    });

    // How fast a status change reaches OCSP is measured by the loss-to-ocsp benchmark, not by a timed test here.
    it('openssl ocsp: good, then revoked (keyCompromise) — signed by the delegated responder, nonce echoed, the cached good answer replaced', async () => {
      const grace = await ca.createCitizen();
      const issued = await issueOk(grace.personId);
      const der = Buffer.from(issued.certificate, 'base64');
      const good = await opensslOcsp('grace', der, '-CAfile', bundle);
      expect(good.output).toContain('Response verify OK');
      expect(good.output).toContain('grace.pem: good');
      expect(good.output).toContain('OCSP Nonce');
      expect(good.output).not.toContain('WARNING');
      expect(await ocsp(der)).toEqual({ status: 'good' }); // primes the responder cache
      await revokeHttp(issued.serial, 'keyCompromise').expect(200);
      await waitUntil(async () => (await ocsp(der)).status === 'revoked', 10_000, 'revocation visible over OCSP');
      const revoked = await opensslOcsp('grace', der, '-VAfile', 'ua-responder.pem');
      expect(revoked.output).toContain('Response verify OK');
      expect(revoked.output).toMatch(/grace\.pem: revoked[\s\S]*Reason: keyCompromise/);
      const event = await ca.waitForEvent<StatusChanged>(CertificateStatusChanged.type, (p) => p.serial === issued.serial);
      expect(event).toMatchObject({ status: 'revoked', reason: 'keyCompromise', device: issued.device, enrollmentId: issued.enrollmentId });
    });

    it('openssl verify -crl_check rejects a revoked certificate; openssl crl verifies the CRL; CRL numbers are monotonic', async () => {
      const heidi = await ca.createCitizen();
      const issued = await issueOk(heidi.personId);
      const der = Buffer.from(issued.certificate, 'base64');
      await openssl.write('heidi.pem', toPem(der, 'CERTIFICATE'));
      const before = parseCrl(await currentCrl(der));
      await revokeHttp(issued.serial, 'cessationOfOperation').expect(200);
      const crlDer = await currentCrl(der);
      const crl = parseCrl(crlDer);
      expect(crl.crlNumber).toBeGreaterThan(before.crlNumber!);
      expect(crl.entries.find((e) => e.serialNumber === issued.serial)).toMatchObject({ reason: 'cessationOfOperation' });
      await openssl.write('heidi-crl.der', crlDer);
      await openssl.write('heidi-crl.pem', toPem(crlDer, 'X509 CRL'));
      const crlCheck = await openssl.run(['crl', '-inform', 'DER', '-in', 'heidi-crl.der', '-CAfile', bundle, '-noout', '-text']);
      expect(crlCheck.output).toContain('verify OK');
      expect(crlCheck.output).toMatch(/X509v3 CRL Number:\s*\n\s*\d+/);
      const rejected = await openssl.run(['verify', '-crl_check', '-CAfile', bundle, '-CRLfile', 'heidi-crl.pem', 'heidi.pem']);
      expect(rejected.code).not.toBe(0);
      expect(rejected.output).toContain('certificate revoked');
      const numbers = (await ca.query<{ n: string }>(`SELECT crl_number AS n FROM crl WHERE ca_id = 'user-authentication' ORDER BY created_at, crl_number`)).map((r) => Number(r.n));
      expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
      expect(new Set(numbers).size).toBe(numbers.length);
      const root = await fetchCrl(`${ca.baseUrl}/crl/root.crl`);
      await openssl.write('root-crl.der', root);
      expect((await openssl.run(['crl', '-inform', 'DER', '-in', 'root-crl.der', '-CAfile', 'root.pem', '-noout'])).output).toContain('verify OK');
    });

    it('puts a phone certificate on hold and releases it (certificateHold over OCSP, removeFromCRL in the delta CRL)', async () => {
      const ivan = await ca.createCitizen();
      const issued = await issueOk(ivan.personId);
      const der = Buffer.from(issued.certificate, 'base64');
      const holdId = `rev-${randomUUID()}`;
      await ca.send(RevocationRequested, { requestId: holdId, target: { by: 'iccid', iccid: (issued.device as { iccid: string }).iccid }, reason: 'certificateHold', requestedBy: 'loss-desk' }, 'lifecycle');
      await ca.waitForEvent<StatusChanged>(CertificateStatusChanged.type, (p) => p.requestId === holdId);
      const held = await opensslOcsp('ivan', der, '-CAfile', bundle);
      expect(held.output).toContain('Response verify OK');
      expect(held.output).toMatch(/ivan\.pem: revoked[\s\S]*Reason: certificateHold/);
      const releaseId = `rel-${randomUUID()}`;
      await ca.send(HoldReleaseRequested, { requestId: releaseId, serial: issued.serial, requestedBy: 'loss-desk' }, 'lifecycle');
      const released = await ca.waitForEvent<StatusChanged>(CertificateStatusChanged.type, (p) => p.requestId === releaseId);
      expect(released).toMatchObject({ status: 'good', reason: 'removeFromCRL', device: issued.device });
      expect((await opensslOcsp('ivan', der, '-CAfile', bundle)).output).toContain('ivan.pem: good');
      await currentCrl(der);
      const delta = parseCrl(await fetchCrl(`${ca.baseUrl}/crl/user-authentication-delta.crl`));
      expect(delta.baseCrlNumber).toBeDefined();
      expect(delta.entries.find((e) => e.serialNumber === issued.serial)).toMatchObject({ reason: 'removeFromCRL' });
      // releasing again: NOT_ON_HOLD; nothing changes
      const againId = `rel-${randomUUID()}`;
      await ca.send(HoldReleaseRequested, { requestId: againId, serial: issued.serial, requestedBy: 'loss-desk' }, 'lifecycle');
      expect((await ca.answer(againId, [RevocationRefused.type])).payload).toMatchObject({ reason: 'NOT_ON_HOLD' });
    });

    it('never releases a card hold (HOLD_NOT_RELEASABLE; over Kafka CARD_CERTIFICATE_OPERATOR_ONLY) and changes nothing', async () => {
      const judy = await ca.createCitizen();
      await ca.http().post(`/certificates/${judy.authSerial}/revocation`).set('authorization', ca.token('operator')).send({ reason: 'certificateHold' }).expect(200);
      const versionBefore = (await ca.query<{ v: string }>(`SELECT status_version AS v FROM certificate WHERE serial = $1`, [judy.authSerial]))[0].v;
      const requestId = `rel-${randomUUID()}`;
      await ca.send(HoldReleaseRequested, { requestId, serial: judy.authSerial, requestedBy: 'window' }, 'lifecycle');
      expect((await ca.answer(requestId, [RevocationRefused.type])).payload).toMatchObject({ reason: 'CARD_CERTIFICATE_OPERATOR_ONLY' });
      const [after] = await ca.query<{ status: string; v: string }>(`SELECT status, status_version AS v FROM certificate WHERE serial = $1`, [judy.authSerial]);
      expect(after).toEqual({ status: 'on-hold', v: versionBefore });
      expect((await ca.http().post(`/certificates/${judy.authSerial}/hold-release`).set('authorization', ca.token('operator')).expect(409)).body.reason).toBe('HOLD_NOT_RELEASABLE');
    });

    it('cascades a card user-authentication revocation to every active phone certificate of the person (cessationOfOperation)', async () => {
      const ken = await ca.createCitizen();
      const phone = await issueOk(ken.personId);
      // proofed while the card was still good; issued after its revocation
      const next = await issuanceRequest(ken.personId);
      // over Kafka a card certificate is refused whoever asks; the CA's operator API revokes it
      for (const producer of ['lifecycle', 'sp-tsm']) {
        const refusedId = `rev-${randomUUID()}`;
        await ca.send(RevocationRequested, { requestId: refusedId, target: { by: 'serial', serial: ken.authSerial }, reason: 'unspecified', requestedBy: 'municipality' }, producer);
        expect((await ca.answer(refusedId, [RevocationRefused.type, CertificateStatusChanged.type])).payload).toMatchObject({ reason: 'CARD_CERTIFICATE_OPERATOR_ONLY' });
      }
      await ca.http().post(`/certificates/${ken.authSerial}/revocation`).set('authorization', ca.token('operator')).send({ reason: 'keyCompromise' }).expect(200);
      const cascaded = await ca.waitForEvent<StatusChanged>(CertificateStatusChanged.type, (p) => p.serial === phone.serial);
      expect(cascaded).toMatchObject({ status: 'revoked', reason: 'cessationOfOperation', kind: 'phone-user-authentication', enrollmentId: phone.enrollmentId });
      expect(await ocsp(Buffer.from(phone.certificate, 'base64'))).toMatchObject({ status: 'revoked', reason: 'cessationOfOperation' });
      const [audit] = await ca.query<{ details: { cause: { cascadeFrom: string } } }>(
        `SELECT details FROM audit_log WHERE action = 'certificate.status-changed' AND subject = $1`,
        [phone.serial],
      );
      expect(audit.details.cause.cascadeFrom).toBe(ken.authSerial);
      // a new phone for a person whose card is revoked is refused
      const refused = await issue(next);
      expect(refused).toMatchObject({ type: CertificateIssuanceFailed.type, payload: { reason: 'CARD_CERTIFICATE_REVOKED' } });
      // revoking both card certificates at once (operator API) cascades the same way
      const liz = await ca.createCitizen();
      const lizPhone = await issueOk(liz.personId);
      const res = await ca.http().post(`/citizens/${liz.personId}/card/revocation`).set('authorization', ca.token('operator')).send({ certificates: 'both', reason: 'keyCompromise' }).expect(200);
      expect(res.body.cascaded.map((c: { serial: string }) => c.serial)).toEqual([lizPhone.serial]);
    });

    it('a basic-information change revokes the signing certificate (affiliationChanged), leaves the card and phone user-authentication certificates good, and the renewed card carries the new address', async () => {
      const may = await ca.createCitizen();
      const phone = await issueOk(may.personId);
      const signCa = Buffer.from(may.cardFile.caCertificates.digitalSignature, 'base64');
      const changes = `/citizens/${may.personId}/basic-information-changes`;
      const before = await ca.query<{ n: string }>(`SELECT count(*) AS n FROM status_change`);
      // carrier staff may not record it; a body without any of the four details is refused: neither changes anything
      await ca.http().post(changes).set('authorization', `Bearer ${ca.keys.operatorToken('docomo-staff', ['operator'], { carrier: 'docomo' })}`).send({ address: '大阪府大阪市北区中之島１丁目３番２０号' }).expect(403);
      const bad = await ca.http().post(changes).set('authorization', ca.token('operator')).send({ comment: 'moved' }).expect(400);
      expect(JSON.stringify(bad.body)).toContain('at least one of name, gender, dateOfBirth, address');
      expect(await ca.query<{ n: string }>(`SELECT count(*) AS n FROM status_change`)).toEqual(before);
      const res = await ca.http().post(changes).set('authorization', ca.token('operator')).send({ address: '大阪府大阪市北区中之島１丁目３番２０号', prefecture: 'Osaka-fu', municipality: 'Osaka-shi' }).expect(200);
      expect(res.body).toMatchObject({ changed: [{ serial: may.signingSerial }], cascaded: [] });
      expect(await ocsp(may.card.certificate('signing'), signCa)).toMatchObject({ status: 'revoked', reason: 'affiliationChanged' });
      expect(await ocsp(may.card.certificate('user-authentication'))).toEqual({ status: 'good' });
      expect(await ocsp(Buffer.from(phone.certificate, 'base64'))).toEqual({ status: 'good' });
      // a second change is recorded too; there is no signing certificate left to revoke
      expect((await ca.http().post(changes).set('authorization', ca.token('operator')).send({ name: '試験 花子' }).expect(200)).body).toEqual({ changed: [], cascaded: [] });
      const audit = await ca.query<{ details: { changed: string[]; revoked: string[] } }>(`SELECT details FROM audit_log WHERE action = 'basic-information.changed' AND subject = $1 ORDER BY seq`, [may.personId]);
      expect(audit.map((a) => a.details)).toEqual([expect.objectContaining({ changed: ['address'], revoked: [may.signingSerial] }), expect.objectContaining({ changed: ['name'], revoked: [] })]);
      expect(JSON.stringify(audit)).not.toContain('大阪');
      // the renewed card's signing certificate carries the recorded details
      const renewed = await ca.http().post(`/citizens/${may.personId}/card/renewal`).set('authorization', ca.token('operator')).send({ signingPassword: 'RENEWED1', userAuthenticationPin: '4321' }).expect(201);
      const card = VirtualMyNumberCard.open(renewed.body.cardFile);
      expect(readJpkiPersonalData(card.certificate('signing'))).toMatchObject({ name: '試験 花子', address: '大阪府大阪市北区中之島１丁目３番２０号' });
      expect(formatDistinguishedName(decodeCertificate(card.certificate('signing')).tbs.subject)).toContain('L=Osaka-fu, L=Osaka-shi');
    });

    it('issues the phone signing certificate on the same proofing when the application asks for it; a basic-information change revokes it (affiliationChanged) and the card signing one, not the user-authentication ones', async () => {
      const olga = await ca.createCitizen();
      const device = { kind: 'sim' as const, iccid: randomIccid(), msisdn: '+819055556666', carrier: 'softbank' as const };
      const unasked = await ca.proofingFor(olga.personId, device, 'csr');
      const signingRequest = async (proofingRequestId: string, overrides: Partial<IssuanceRequest> = {}) =>
        issuanceRequest(olga.personId, { device, proofingRequestId, certificate: 'signing', ...overrides });
      const before = await ca.count('SELECT 1 FROM issuance');
      // the person did not ask for it, or asks for a delivered key: refused before anything is allocated
      expect(await issue(await signingRequest(unasked))).toMatchObject({ payload: { reason: 'APPLICATION_MISMATCH', detail: expect.stringContaining('signingCertificate') } });
      const proofingRequestId = await ca.proofingFor(olga.personId, device, 'csr', true);
      expect(await issue(await signingRequest(proofingRequestId, { keySource: { mode: 'ca-generated', recipient: 'sp-tsm' } }))).toMatchObject({ payload: { reason: 'SIGNING_KEY_NOT_ON_DEVICE' } });
      expect(await ca.count('SELECT 1 FROM issuance')).toBe(before);
      const authentication = await issueOk(olga.personId, { device, proofingRequestId });
      const signing = await issueOk(olga.personId, { device, proofingRequestId, certificate: 'signing' });
      // one application, one certificate of each kind: a second signing issuance on it is refused
      expect(await issue(await signingRequest(proofingRequestId))).toMatchObject({ payload: { reason: 'PROOFING_ALREADY_USED' } });
      const der = Buffer.from(signing.certificate, 'base64');
      expect(readJpkiPersonalData(der)).toMatchObject({ name: expect.any(String), address: expect.any(String) });
      const signingTbs = decodeCertificate(der).tbs;
      expect(formatDistinguishedName(signingTbs.issuer)).toContain('Digital Signature');
      expect(formatDistinguishedName(signingTbs.subject)).toMatch(/^C=JP, L=.+, L=.+, CN=JPKIPHONE/);
      const signCa = Buffer.from(olga.cardFile.caCertificates.digitalSignature, 'base64');
      await openssl.write('olga-signing.pem', toPem(der, 'CERTIFICATE'));
      await openssl.write('sign-ca.pem', toPem(signCa, 'CERTIFICATE'));
      expect((await openssl.run(['verify', '-CAfile', 'root.pem', '-untrusted', 'sign-ca.pem', '-purpose', 'any', 'olga-signing.pem'])).output).toContain('olga-signing.pem: OK');
      const changes = `/citizens/${olga.personId}/basic-information-changes`;
      const res = await ca.http().post(changes).set('authorization', ca.token('operator')).send({ address: '北海道札幌市中央区北１条西２丁目' }).expect(200);
      expect(res.body).toMatchObject({ changed: [{ serial: olga.signingSerial }], cascaded: [{ serial: signing.serial, revocationReason: 'affiliationChanged' }] });
      const judged = await openssl.run(['ocsp', '-issuer', 'sign-ca.pem', '-cert', 'olga-signing.pem', '-url', `${ca.baseUrl}/ocsp`, '-CAfile', bundle]);
      expect(judged.output).toMatch(/olga-signing\.pem: revoked[\s\S]*Reason: affiliationChanged/);
      expect(await ocsp(Buffer.from(authentication.certificate, 'base64'))).toEqual({ status: 'good' });
    });

    it('a new phone without a signing certificate supersedes the old phone’s signing certificate with its user-authentication one', async () => {
      const pat = await ca.createCitizen();
      const oldSim = { kind: 'sim' as const, iccid: randomIccid(), msisdn: '+819077778888', carrier: 'docomo' as const };
      const proofingRequestId = await ca.proofingFor(pat.personId, oldSim, 'csr', true);
      const oldPhone = await issueOk(pat.personId, { device: oldSim, proofingRequestId });
      const oldSigning = await issueOk(pat.personId, { device: oldSim, proofingRequestId, certificate: 'signing' });
      const signCa = Buffer.from(pat.cardFile.caCertificates.digitalSignature, 'base64');
      expect(await ocsp(Buffer.from(oldSigning.certificate, 'base64'), signCa)).toEqual({ status: 'good' });
      const newPhone = await issueOk(pat.personId, { device: { ...oldSim, iccid: randomIccid() } });
      expect(newPhone.supersededSerials).toEqual([oldPhone.serial]);
      expect(await ocsp(Buffer.from(oldSigning.certificate, 'base64'), signCa)).toMatchObject({ status: 'revoked', reason: 'superseded' });
    });

    it('moves a person from a SIM phone to an eSE phone: both certificates on the eSE, the SIM’s superseded; the eSE is nobody else’s', async () => {
      const rin = await ca.createCitizen();
      const sim = { kind: 'sim' as const, iccid: randomIccid(), msisdn: '+819012121212', carrier: 'kddi' as const };
      const onSim = await ca.proofingFor(rin.personId, sim, 'csr', true);
      const simPhone = await issueOk(rin.personId, { device: sim, proofingRequestId: onSim });
      const simSigning = await issueOk(rin.personId, { device: sim, proofingRequestId: onSim, certificate: 'signing' });
      const ese = { kind: 'ese' as const, seid: `E5${randomBytes(9).toString('hex').toUpperCase()}`, msisdn: sim.msisdn, carrier: sim.carrier };
      const onEse = await ca.proofingFor(rin.personId, ese, 'csr', true);
      const esePhone = await issueOk(rin.personId, { device: ese, proofingRequestId: onEse });
      const eseSigning = await issueOk(rin.personId, { device: ese, proofingRequestId: onEse, certificate: 'signing' });
      expect(esePhone.supersededSerials).toEqual([simPhone.serial]);
      const signCa = Buffer.from(rin.cardFile.caCertificates.digitalSignature, 'base64');
      expect(await ocsp(Buffer.from(simSigning.certificate, 'base64'), signCa)).toMatchObject({ status: 'revoked', reason: 'superseded' });
      expect(await ocsp(Buffer.from(eseSigning.certificate, 'base64'), signCa)).toEqual({ status: 'good' });
      expect(await ocsp(Buffer.from(esePhone.certificate, 'base64'))).toEqual({ status: 'good' });
      const rows = await ca.query<{ serial: string; seid: string }>(`SELECT serial, seid FROM certificate WHERE serial = ANY($1)`, [[esePhone.serial, eseSigning.serial]]);
      expect(rows.map((r) => r.seid)).toEqual([ese.seid, ese.seid]);
      // another person's enrollment on the same eSE is refused before anything is allocated
      const sam = await ca.createCitizen();
      const before = await ca.count('SELECT 1 FROM issuance');
      const onSameEse = await ca.proofingFor(sam.personId, ese, 'csr');
      expect(await issue(await issuanceRequest(sam.personId, { device: ese, proofingRequestId: onSameEse }))).toMatchObject({ payload: { reason: 'DEVICE_BOUND_TO_OTHER_PERSON' } });
      expect(await ca.count('SELECT 1 FROM issuance')).toBe(before);
    });

    it('refuses revocations that cannot apply (CERTIFICATE_UNKNOWN, ALREADY_REVOKED, ALREADY_ON_HOLD) and changes nothing', async () => {
      const mallory = await ca.createCitizen();
      const phone = await issueOk(mallory.personId);
      const refusal = async (payload: Omit<PayloadOf<typeof RevocationRequested>, 'requestId' | 'requestedBy'>) => {
        const requestId = `rev-${randomUUID()}`;
        await ca.send(RevocationRequested, { requestId, requestedBy: 'ops', ...payload }, 'lifecycle');
        return (await ca.answer<{ reason: string }>(requestId, [RevocationRefused.type, CertificateStatusChanged.type])).payload;
      };
      expect(await refusal({ target: { by: 'serial', serial: 'ABCDEF0123' }, reason: 'keyCompromise' })).toMatchObject({ reason: 'CERTIFICATE_UNKNOWN' });
      expect(await refusal({ target: { by: 'iccid', iccid: randomIccid() }, reason: 'keyCompromise' })).toMatchObject({ reason: 'CERTIFICATE_UNKNOWN' });
      expect(await refusal({ target: { by: 'person-phones', personId: mallory.personId }, reason: 'certificateHold' })).toMatchObject({ status: 'on-hold' });
      expect(await refusal({ target: { by: 'serial', serial: phone.serial }, reason: 'certificateHold' })).toMatchObject({ reason: 'ALREADY_ON_HOLD' });
      expect(await refusal({ target: { by: 'person-phones', personId: mallory.personId }, reason: 'cessationOfOperation' })).toMatchObject({ status: 'revoked' });
      const before = await ca.count('SELECT 1 FROM status_change');
      expect(await refusal({ target: { by: 'serial', serial: phone.serial }, reason: 'keyCompromise' })).toMatchObject({ reason: 'ALREADY_REVOKED' });
      expect(await refusal({ target: { by: 'serial', serial: phone.serial }, reason: 'removeFromCRL' })).toMatchObject({ reason: 'REASON_NOT_ALLOWED' });
      expect(await ca.count('SELECT 1 FROM status_change')).toBe(before);
    });

    it('answers unknown for serials it never issued, over GET too; serves pre-signed responses to nonce-less requests', async () => {
      const unknown = await openssl.run(['ocsp', '-issuer', 'ua.pem', '-serial', '0x0BADC0DE', '-url', `${ca.baseUrl}/ocsp`, '-CAfile', bundle]);
      expect(unknown.output).toContain('Response verify OK');
      expect(unknown.output).toContain('0x0BADC0DE: unknown');
      const niaj = await ca.createCitizen();
      const issued = await issueOk(niaj.personId);
      const der = Buffer.from(issued.certificate, 'base64');
      const request = buildOcspRequest({ certificate: der, issuerCertificate: uaCa(), hashAlgorithm: 'SHA-1', nonce: false });
      await waitUntil(
        async () => (await ca.count('SELECT 1 FROM ocsp_response o JOIN certificate c USING (serial) WHERE serial = $1 AND o.status_version = c.status_version', [issued.serial])) === 1,
        5000,
        'pre-signed response',
      );
      const get = async () => Buffer.from(await (await fetch(`${ca.baseUrl}/ocsp/${encodeURIComponent(request.der.toString('base64'))}`)).arrayBuffer());
      const [a, b] = [await get(), await get()];
      expect(a.equals(b)).toBe(true); // the same pre-signed bytes, no live signature
      const verified = verifyOcspResponse({ response: a, certificate: der, issuerCertificate: uaCa() });
      expect(verified).toMatchObject({ ok: true, certificateStatus: { status: 'good' } });
      const malformed = Buffer.from(await (await fetch(`${ca.baseUrl}/ocsp`, { method: 'POST', headers: { 'content-type': 'application/ocsp-request' }, body: Buffer.from('junk') })).arrayBuffer());
      expect(malformed.toString('hex')).toBe('30030a0101'); // malformedRequest
      const post = (contentType: string, body: Buffer) => fetch(`${ca.baseUrl}/ocsp`, { method: 'POST', headers: { 'content-type': contentType }, body });
      for (const [contentType, body] of [['application/octet-stream', request.der], ['application/ocsp-request', Buffer.alloc(0)]] as const) {
        const res = await post(contentType, body);
        expect([res.status, res.headers.get('content-type'), Buffer.from(await res.arrayBuffer()).toString('hex')]).toEqual([200, 'application/ocsp-response', '30030a0101']);
      }
      const tooLarge = await post('application/ocsp-request', Buffer.alloc(64 * 1024 + 1));
      expect([tooLarge.status, ((await tooLarge.json()) as { reason: string }).reason]).toEqual([413, 'OCSP_REQUEST_TOO_LARGE']);
      const answered = await post('application/ocsp-request', request.der);
      expect([answered.headers.get('etag'), answered.headers.get('x-correlation-id')?.length]).toEqual([null, expect.any(Number)]);
      expect(Buffer.from(await answered.arrayBuffer()).equals(a)).toBe(true); // POST gets the same pre-signed bytes as GET
    });
  });

  describe('audit log', () => {
    it("records the operator API's authentication refusals: another carrier's token at a card act (403 CARRIER_SCOPE), no token (401)", async () => {
      const nat = await ca.createCitizen();
      const docomo = `Bearer ${ca.keys.operatorToken('docomo-staff', ['operator'], { carrier: 'docomo' })}`;
      const revocation = `/citizens/${nat.personId}/card/revocation`;
      await ca.http().post(revocation).set('authorization', docomo).send({ certificates: 'both', reason: 'keyCompromise' }).expect(403);
      await ca.http().post(revocation).send({ certificates: 'both', reason: 'keyCompromise' }).expect(401);
      const rows = await ca.query<{ actor: string; details: Record<string, unknown> }>(
        `SELECT actor, details FROM audit_log WHERE action = 'operator-call.refused' AND subject = $1 ORDER BY seq`,
        [nat.personId],
      );
      expect(rows).toEqual([
        { actor: 'operator:docomo-staff', details: expect.objectContaining({ status: 403, reason: 'CARRIER_SCOPE', carrier: 'docomo', method: 'POST', path: revocation }) },
        { actor: 'anonymous', details: expect.objectContaining({ status: 401, method: 'POST', path: revocation }) },
      ]);
      expect(await ca.count(`SELECT 1 FROM certificate WHERE person_id = $1 AND status <> 'good'`, [nat.personId])).toBe(0);
    });

    it('verifies its hash chain, refuses UPDATE/DELETE, and detects tampering by a superuser', async () => {
      const auditor = ca.token('auditor');
      expect((await ca.http().get('/audit/verify').set('authorization', ca.token('operator')).expect(403)).body.reason).toBe('ROLE_REQUIRED');
      const clean = (await ca.http().get('/audit/verify').set('authorization', auditor).expect(200)).body;
      expect(clean).toMatchObject({ valid: true, firstInvalidSeq: null });
      expect(clean.entries).toBeGreaterThan(20);
      await expect(ca.query(`UPDATE audit_log SET actor = 'x' WHERE seq = 3`)).rejects.toThrow(/append-only/);
      await expect(ca.query(`DELETE FROM audit_log WHERE seq = 3`)).rejects.toThrow(/append-only/);
      await expect(ca.query(`TRUNCATE audit_log`)).rejects.toThrow(/append-only/);

      const schema = ca.config.DB_SCHEMA;
      const superuser = new Client({ connectionString: testDatabaseUrl() });
      await superuser.connect();
      const asSuperuser = async (sql: string) => {
        await superuser.query('BEGIN');
        await superuser.query(`ALTER TABLE "${schema}".audit_log DISABLE TRIGGER audit_log_immutable`);
        await superuser.query(sql);
        await superuser.query(`ALTER TABLE "${schema}".audit_log ENABLE TRIGGER audit_log_immutable`);
        await superuser.query('COMMIT');
      };
      try {
        const [{ seq, details }] = await ca.query<{ seq: string; details: unknown }>(`SELECT seq, details FROM audit_log WHERE action = 'certificate.issued' ORDER BY seq LIMIT 1`);
        await asSuperuser(`UPDATE "${schema}".audit_log SET details = details || '{"supersededSerials": ["FORGED"]}' WHERE seq = ${seq}`);
        const tampered = (await ca.http().get('/audit/verify').set('authorization', auditor).expect(200)).body;
        expect(tampered).toMatchObject({ valid: false, firstInvalidSeq: Number(seq), problem: expect.stringContaining('modified') });
        await asSuperuser(`UPDATE "${schema}".audit_log SET details = '${JSON.stringify(details)}'::jsonb WHERE seq = ${seq}`);
        expect((await ca.http().get('/audit/verify').set('authorization', auditor).expect(200)).body.valid).toBe(true);
        const [{ victim }] = await ca.query<{ victim: string }>(`SELECT seq AS victim FROM audit_log ORDER BY seq OFFSET 5 LIMIT 1`);
        await asSuperuser(`DELETE FROM "${schema}".audit_log WHERE seq = ${victim}`);
        const removed = (await ca.http().get('/audit/verify').set('authorization', auditor).expect(200)).body;
        expect(removed.valid).toBe(false);
        expect(removed.firstInvalidSeq).toBeGreaterThan(Number(victim));
        expect(removed.problem).toContain('removed');
      } finally {
        await superuser.end();
      }
    });
  });

  it('documents every HTTP API in OpenAPI', async () => {
    const docs = (await ca.http().get('/docs-json').expect(200)).body as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(docs.paths)).toEqual(
      expect.arrayContaining([
        '/ca',
        '/ca/{file}',
        '/crl/{file}',
        '/ocsp',
        '/ocsp/{request}',
        '/citizens',
        '/citizens/batch',
        '/citizens/{personId}',
        '/citizens/{personId}/card/revocation',
        '/certificates/{serial}',
        '/certificates/{serial}/revocation',
        '/certificates/{serial}/hold-release',
        '/audit',
        '/audit/verify',
      ]),
    );
    expect(JSON.stringify(docs.paths['/citizens'])).toContain('signingPassword');
  });
});
