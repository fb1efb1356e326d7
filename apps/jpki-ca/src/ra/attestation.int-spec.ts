/**
 * iPhone issuance at jpki-ca on the real broker and database: method ② (Secure Enclave key, CSR + device
 * attestation) and method ① (CA-generated P-256 key sealed to an attested Secure Enclave key-agreement key),
 * and the precise refusals (unknown attestation CA, CSR key ≠ attested key, nonce, missing attestation, …).
 */
import { createPublicKey, randomBytes, randomUUID, verify } from 'node:crypto';
import {
  CertificateIssuanceFailed,
  CertificateIssuanceRequested,
  CertificateIssued,
  CertificateStatusChanged,
  IdentityProofingCompleted,
  IdentityProofingRequested,
  type PayloadOf,
} from '@jpki/contracts';
import { open, transportPrivateKey } from '@jpki/crypto';
import { deviceKeyIdText, SecureEnclave, SimulatedAttestationAuthority } from '@jpki/iphone-device';
import { buildCsr, decodeCertificate, describePublicKey, SoftwareRsaSigner } from '@jpki/pki';
import { Clock } from '@jpki/service-kit';
import { planOf, statementsDuring } from '@jpki/testing';
import { CaHarness, PASSWORD, type TestCitizen } from '../test/ca-harness';

type Issued = PayloadOf<typeof CertificateIssued>;
type Failed = PayloadOf<typeof CertificateIssuanceFailed>;
type Proofed = PayloadOf<typeof IdentityProofingCompleted>;
type IssuanceRequest = PayloadOf<typeof CertificateIssuanceRequested>;
type KeySource = IssuanceRequest['keySource'];

const DAY = 86_400_000;

interface Phone {
  readonly deviceId: string;
  readonly enclave: SecureEnclave;
}

describe('jpki-ca: iPhone issuance with device attestation (real broker and database)', () => {
  let ca: CaHarness;
  let vendor: SimulatedAttestationAuthority;
  let alice: TestCitizen;

  const newPhone = (): Phone => {
    const deviceId = `IPHONE-${randomBytes(8).toString('hex').toUpperCase()}`;
    const enclave = SecureEnclave.create(deviceId, { passcode: '246810' });
    enclave.biometrics.enroll();
    return { deviceId, enclave };
  };

  /** The card-signed application an iPhone sends, proofed by the CA; returns the proofing request id and nonce. */
  const proofIphone = async (
    citizen: TestCitizen,
    phone: Phone,
    keyMode: 'on-device' | 'ca-generated',
    deviceKey: Buffer | undefined,
    overrides: Record<string, unknown> = {},
  ): Promise<{ proofingRequestId: string; nonce: string }> => {
    const nonce = randomBytes(24).toString('base64url');
    const content = Buffer.from(
      JSON.stringify({
        purpose: 'phone-enrollment',
        nonce,
        requestedAt: ca.get(Clock).now().toISOString(),
        carrier: 'docomo',
        msisdn: '+819011112222',
        keyMode,
        deviceKind: 'iphone',
        deviceModel: 'iPhone 16',
        deviceId: phone.deviceId,
        ...(deviceKey ? { deviceKeyId: deviceKeyIdText(deviceKey) } : {}),
        ...overrides,
      }),
    );
    const requestId = `prf-${randomUUID()}`;
    await ca.send(IdentityProofingRequested, { requestId, signedApplication: (await citizen.card.signApplication(PASSWORD, content)).toString('base64') });
    const proofed = (await ca.answer<Proofed>(requestId, [IdentityProofingCompleted.type])).payload;
    expect(proofed).toMatchObject({ verified: true, personId: citizen.personId });
    return { proofingRequestId: requestId, nonce };
  };

  const issue = async (
    citizen: TestCitizen,
    phone: Phone,
    keySource: KeySource,
    proofingRequestId: string | undefined,
    device: IssuanceRequest['device'] = { kind: 'iphone', deviceId: phone.deviceId },
  ) => {
    const request: IssuanceRequest = {
      requestId: `iss-${randomUUID()}`,
      personId: citizen.personId,
      enrollmentId: `ienr-${randomUUID().slice(0, 8)}`,
      device,
      ...(proofingRequestId ? { proofingRequestId } : {}),
      keySource,
    };
    await ca.send(CertificateIssuanceRequested, request);
    return { request, answer: await ca.answer<Issued | Failed>(request.requestId, [CertificateIssued.type, CertificateIssuanceFailed.type]) };
  };

  const csrOf = async (phone: Phone, label: string) =>
    (await buildCsr({ subject: [{ type: 'C', value: 'JP' }, { type: 'CN', value: phone.deviceId }], signer: phone.enclave.signer(label, () => phone.enclave.biometrics.authenticate('match')) })).toString('base64');

  /** Method ②, all the way: a fresh Secure Enclave key, an attested CSR, an issued certificate. */
  const enrollDeviceKey = async (citizen: TestCitizen, phone = newPhone()) => {
    const key = phone.enclave.generateSigningKey('jpki');
    const { proofingRequestId, nonce } = await proofIphone(citizen, phone, 'on-device', key.publicKeySpki);
    const attestation = await phone.enclave.attestKey('jpki', nonce, vendor);
    const { answer, request } = await issue(citizen, phone, { mode: 'csr', csr: await csrOf(phone, 'jpki'), attestation }, proofingRequestId);
    return { phone, key, answer, request };
  };

  /** The first refusal of a method-② request built by `tweak`. */
  const refusal = async (
    tweak: (ctx: { phone: Phone; nonce: string; proofingRequestId: string }) => Promise<{ keySource: KeySource; proofingRequestId?: string | null }>,
    keyMode: 'on-device' | 'ca-generated' = 'on-device',
    citizen = alice,
  ): Promise<Failed> => {
    const phone = newPhone();
    const signing = phone.enclave.generateSigningKey('jpki');
    const { proofingRequestId, nonce } = await proofIphone(citizen, phone, keyMode, signing.publicKeySpki);
    const built = await tweak({ phone, nonce, proofingRequestId });
    const { answer } = await issue(citizen, phone, built.keySource, built.proofingRequestId === null ? undefined : (built.proofingRequestId ?? proofingRequestId));
    expect(answer.type).toBe(CertificateIssuanceFailed.type);
    return answer.payload as Failed;
  };

  beforeAll(async () => {
    ca = await CaHarness.start({ tag: 'iph' });
    vendor = ca.keys.deviceAttestation;
    alice = await ca.createCitizen({ name: '試験 林檎', gender: 'female', dateOfBirth: '1992-02-02' });
  }, 60_000);

  afterAll(async () => {
    await ca?.stop();
  });

  it('method ②: certifies the attested Secure Enclave P-256 key from its CSR (EC leaf under the RSA-2048 CA)', async () => {
    const { phone, key, answer } = await enrollDeviceKey(alice);
    expect(answer.type).toBe(CertificateIssued.type);
    const issued = answer.payload as Issued;
    expect(issued.device).toEqual({ kind: 'iphone', deviceId: phone.deviceId });
    expect(issued.deliveredKey).toBeUndefined();
    const certificate = decodeCertificate(Buffer.from(issued.certificate, 'base64'));
    expect(certificate.tbs.subjectPublicKeyInfo).toEqual(key.publicKeySpki);
    expect(describePublicKey(certificate.tbs.subjectPublicKeyInfo)).toMatchObject({ algorithm: 'EC', namedCurve: 'prime256v1' });
    expect(certificate.signatureAlgorithm.oid).toBe('1.2.840.113549.1.1.11');
    // The key signs a challenge only after Face ID; the signature verifies with the certificate.
    const challenge = randomBytes(32);
    const signature = phone.enclave.sign('jpki', challenge, phone.enclave.biometrics.authenticate('match'));
    expect(verify('sha256', challenge, createPublicKey({ key: certificate.tbs.subjectPublicKeyInfo, format: 'der', type: 'spki' }), signature)).toBe(true);
    const person = await ca.http().get(`/citizens/${alice.personId}`).set('authorization', ca.token('operator')).expect(200);
    expect(person.body.certificates).toEqual(expect.arrayContaining([expect.objectContaining({ serial: issued.serial, status: 'good', device: { kind: 'iphone', deviceId: phone.deviceId } })]));
  });

  it('finds another person’s active phone on the same device by index, not by reading every active phone certificate', async () => {
    const statements = await statementsDuring(async () => expect((await enrollDeviceKey(alice)).answer.type).toBe(CertificateIssued.type));
    const sameDevice = statements.find(({ sql }) => sql.includes("device->>'deviceId' = $1"));
    expect(sameDevice).toBeDefined();
    expect(await planOf(String(ca.dataSource.driver.schema), sameDevice!)).toContain('certificate_active_phone_device');
  });

  it('method ①: generates a P-256 key and seals it to the attested key-agreement key; the SP-TSM transport key cannot open it', async () => {
    const citizen = await ca.createCitizen({ name: '試験 梨', dateOfBirth: '1980-08-08' });
    const phone = newPhone();
    const agreement = phone.enclave.generateKeyAgreementKey('ka');
    const { proofingRequestId, nonce } = await proofIphone(citizen, phone, 'ca-generated', agreement.publicKeySpki);
    const attestation = await phone.enclave.attestKey('ka', nonce, vendor);
    const recipient = `iphone:${phone.deviceId}`;
    const { answer, request } = await issue(
      citizen,
      phone,
      { mode: 'ca-generated', recipient, recipientKey: agreement.publicKeySpki.toString('base64'), attestation },
      proofingRequestId,
    );
    expect(answer.type).toBe(CertificateIssued.type);
    const issued = answer.payload as Issued;
    const box = issued.deliveredKey!;
    expect(box).toMatchObject({ alg: 'ECDH-ES+A256GCM', recipient });
    expect(createPublicKey({ key: Buffer.from(box.epk, 'base64'), format: 'der', type: 'spki' }).asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    const aad = `delivered-key/${request.requestId}`;
    // Whoever forwards it (the SP-TSM) cannot open it with its own transport key.
    const spTsm = transportPrivateKey(ca.keys.keys.get('sp-tsm')!.transportPkcs8);
    expect(() => open(box, recipient, spTsm, aad)).toThrow('does not open');
    // The CA keeps only the sealed box.
    const [row] = await ca.query<{ delivered_key: unknown }>(`SELECT delivered_key FROM issuance WHERE request_id = $1`, [request.requestId]);
    expect(JSON.stringify(row.delivered_key)).not.toMatch(/MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg/);
    // The device opens it inside its enclave and imports it as a non-exportable, biometry-bound key.
    const certificate = decodeCertificate(Buffer.from(issued.certificate, 'base64'));
    const imported = phone.enclave.importDeliveredKey(
      'jpki',
      box,
      { via: 'ka', recipient, aad, expectedPublicKeySpki: certificate.tbs.subjectPublicKeyInfo },
      phone.enclave.biometrics.authenticate('match'),
    );
    expect(imported).toMatchObject({ origin: 'imported', accessControl: 'biometry-current-set' });
    const challenge = randomBytes(32);
    const signature = phone.enclave.sign('jpki', challenge, phone.enclave.biometrics.authenticate('match'));
    expect(verify('sha256', challenge, createPublicKey({ key: certificate.tbs.subjectPublicKeyInfo, format: 'der', type: 'spki' }), signature)).toBe(true);
  });

  describe('refusals (each changes nothing)', () => {
    it('an attestation signed by an unknown CA: ATTESTATION_UNTRUSTED', async () => {
      const stranger = SimulatedAttestationAuthority.generate();
      const failed = await refusal(async ({ phone, nonce }) => ({
        keySource: { mode: 'csr', csr: await csrOf(phone, 'jpki'), attestation: await phone.enclave.attestKey('jpki', nonce, stranger) },
      }));
      expect(failed).toMatchObject({ reason: 'ATTESTATION_UNTRUSTED', detail: expect.stringContaining('device attestation root') });
    });

    it('a CSR whose key differs from the attested key: ATTESTATION_KEY_MISMATCH', async () => {
      const failed = await refusal(async ({ phone, nonce }) => {
        phone.enclave.generateSigningKey('other');
        return { keySource: { mode: 'csr', csr: await csrOf(phone, 'other'), attestation: await phone.enclave.attestKey('jpki', nonce, vendor) } };
      });
      expect(failed).toMatchObject({ reason: 'ATTESTATION_KEY_MISMATCH' });
    });

    it('an attestation made for another application: ATTESTATION_NONCE_MISMATCH', async () => {
      const failed = await refusal(async ({ phone }) => ({
        keySource: { mode: 'csr', csr: await csrOf(phone, 'jpki'), attestation: await phone.enclave.attestKey('jpki', randomBytes(24).toString('base64url'), vendor) },
      }));
      expect(failed).toMatchObject({ reason: 'ATTESTATION_NONCE_MISMATCH' });
    });

    it('an iPhone CSR without attestation: ATTESTATION_REQUIRED; garbage: ATTESTATION_MALFORMED; expired: ATTESTATION_EXPIRED', async () => {
      expect(await refusal(async ({ phone }) => ({ keySource: { mode: 'csr', csr: await csrOf(phone, 'jpki') } }))).toMatchObject({ reason: 'ATTESTATION_REQUIRED' });
      expect(await refusal(async ({ phone }) => ({ keySource: { mode: 'csr', csr: await csrOf(phone, 'jpki'), attestation: 'bm90IGFuIGF0dGVzdGF0aW9u' } }))).toMatchObject({
        reason: 'ATTESTATION_MALFORMED',
      });
      const expired = await refusal(async ({ phone, nonce }) => ({
        keySource: { mode: 'csr', csr: await csrOf(phone, 'jpki'), attestation: await phone.enclave.attestKey('jpki', nonce, vendor, new Date(Date.now() - 4 * DAY)) },
      }));
      expect(expired).toMatchObject({ reason: 'ATTESTATION_EXPIRED' });
    });

    it('a key other than the one the card-signed application names: DEVICE_KEY_MISMATCH', async () => {
      // The second key is genuinely attested for the same application: only the signed deviceKeyId catches it.
      const failed = await refusal(async ({ phone, nonce }) => {
        phone.enclave.generateSigningKey('second');
        return { keySource: { mode: 'csr', csr: await csrOf(phone, 'second'), attestation: await phone.enclave.attestKey('second', nonce, vendor) } };
      });
      expect(failed).toMatchObject({ reason: 'DEVICE_KEY_MISMATCH' });
    });

    it('an RSA key for an iPhone (KEY_ALGORITHM_UNSUPPORTED), no proofing (PROOFING_REQUIRED), an application of another key mode (APPLICATION_MISMATCH)', async () => {
      const rsa = await SoftwareRsaSigner.generate();
      const rsaCsr = (await buildCsr({ subject: [{ type: 'CN', value: 'rsa' }], signer: rsa })).toString('base64');
      expect(await refusal(async () => ({ keySource: { mode: 'csr', csr: rsaCsr } }))).toMatchObject({ reason: 'KEY_ALGORITHM_UNSUPPORTED' });
      expect(await refusal(async ({ phone }) => ({ keySource: { mode: 'csr', csr: await csrOf(phone, 'jpki') }, proofingRequestId: null }))).toMatchObject({
        reason: 'PROOFING_REQUIRED',
      });
      const mismatch = await refusal(async ({ phone, nonce }) => ({
        keySource: { mode: 'csr', csr: await csrOf(phone, 'jpki'), attestation: await phone.enclave.attestKey('jpki', nonce, vendor) },
      }), 'ca-generated');
      expect(mismatch).toMatchObject({ reason: 'APPLICATION_MISMATCH', detail: expect.stringContaining('keyMode') });
    });

    it('method ① without attestation (ATTESTATION_REQUIRED), for another recipient (RECIPIENT_MISMATCH), without a recipient key', async () => {
      const caGenerated = async (build: (phone: Phone, nonce: string) => Promise<KeySource>) => {
        const phone = newPhone();
        const agreement = phone.enclave.generateKeyAgreementKey('ka');
        const { proofingRequestId, nonce } = await proofIphone(alice, phone, 'ca-generated', agreement.publicKeySpki);
        const { answer } = await issue(alice, phone, await build(phone, nonce), proofingRequestId);
        return answer.payload as Failed;
      };
      const recipientKey = (phone: Phone) => phone.enclave.key('ka').publicKeySpki.toString('base64');
      expect(await caGenerated(async (phone) => ({ mode: 'ca-generated', recipient: `iphone:${phone.deviceId}`, recipientKey: recipientKey(phone) }))).toMatchObject({
        reason: 'ATTESTATION_REQUIRED',
      });
      expect(
        await caGenerated(async (phone, nonce) => ({ mode: 'ca-generated', recipient: 'sp-tsm', recipientKey: recipientKey(phone), attestation: await phone.enclave.attestKey('ka', nonce, vendor) })),
      ).toMatchObject({ reason: 'RECIPIENT_MISMATCH' });
      expect(await caGenerated(async (phone) => ({ mode: 'ca-generated', recipient: `iphone:${phone.deviceId}` }))).toMatchObject({ reason: 'RECIPIENT_KEY_REQUIRED' });
    });

    it('an EC key for a SIM stays refused (the SIM applet is RSA-2048): KEY_ALGORITHM_UNSUPPORTED', async () => {
      const phone = newPhone();
      phone.enclave.generateSigningKey('jpki');
      const sim = { kind: 'sim' as const, iccid: `8981${Array.from(randomBytes(15), (b) => b % 10).join('')}`, msisdn: '+819012345678', carrier: 'docomo' as const };
      const { answer } = await issue(alice, phone, { mode: 'csr', csr: await csrOf(phone, 'jpki') }, await ca.proofingFor(alice.personId, sim, 'csr'), sim);
      expect(answer).toMatchObject({ type: CertificateIssuanceFailed.type, payload: { reason: 'KEY_ALGORITHM_UNSUPPORTED' } });
    });

    it('refusals issue nothing and are audited', async () => {
      const failures = ca.events<Failed>(CertificateIssuanceFailed.type).filter((f) => f.reason.startsWith('ATTESTATION_'));
      expect(failures.length).toBeGreaterThanOrEqual(7);
      for (const f of failures) {
        expect(await ca.count(`SELECT 1 FROM issuance WHERE request_id = $1`, [f.requestId])).toBe(0);
        expect(await ca.count(`SELECT 1 FROM audit_log WHERE action = 'issuance.refused' AND subject = $1`, [f.requestId])).toBe(1);
      }
    });
  });

  describe('one phone per person, iPhone or SIM', () => {
    it('an iPhone supersedes the person’s SIM phone, and a SIM phone supersedes the iPhone', async () => {
      const citizen = await ca.createCitizen({ name: '試験 次郎', dateOfBirth: '1975-05-05' });
      const simCsr = async () => (await buildCsr({ subject: [{ type: 'CN', value: 'sim' }], signer: await SoftwareRsaSigner.generate() })).toString('base64');
      const simDevice = () => ({ kind: 'sim' as const, iccid: `8981${Array.from(randomBytes(15), (b) => b % 10).join('')}`, msisdn: '+819012340000', carrier: 'kddi' as const });
      const simPhone = async () => {
        const device = simDevice();
        return issue(citizen, newPhone(), { mode: 'csr', csr: await simCsr() }, await ca.proofingFor(citizen.personId, device, 'csr'), device);
      };
      const sim = await simPhone();
      const simSerial = (sim.answer.payload as Issued).serial;

      const iphone = await enrollDeviceKey(citizen);
      const iphoneIssued = iphone.answer.payload as Issued;
      expect(iphoneIssued.supersededSerials).toEqual([simSerial]);
      const changed = await ca.waitForEvent<PayloadOf<typeof CertificateStatusChanged>>(CertificateStatusChanged.type, (e) => e.serial === simSerial);
      expect(changed).toMatchObject({ status: 'revoked', reason: 'superseded', device: { kind: 'sim' } });

      const sim2 = await simPhone();
      expect((sim2.answer.payload as Issued).supersededSerials).toEqual([iphoneIssued.serial]);
      const iphoneChanged = await ca.waitForEvent<PayloadOf<typeof CertificateStatusChanged>>(CertificateStatusChanged.type, (e) => e.serial === iphoneIssued.serial);
      expect(iphoneChanged).toMatchObject({ status: 'revoked', reason: 'superseded', device: { kind: 'iphone', deviceId: iphone.phone.deviceId } });
    });

    it('an iPhone already bound to another person is refused (DEVICE_BOUND_TO_OTHER_PERSON)', async () => {
      const { phone, answer } = await enrollDeviceKey(alice);
      expect(answer.type).toBe(CertificateIssued.type);
      const bob = await ca.createCitizen({ name: '試験 三郎', dateOfBirth: '1970-07-07' });
      phone.enclave.deleteKey('jpki');
      const second = await enrollDeviceKey(bob, phone);
      expect(second.answer).toMatchObject({ type: CertificateIssuanceFailed.type, payload: { reason: 'DEVICE_BOUND_TO_OTHER_PERSON' } });
    });
  });
});
