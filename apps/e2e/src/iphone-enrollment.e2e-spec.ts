import { createPublicKey, randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { open, SealedBoxError, transportPrivateKey } from '@jpki/crypto';
import { IphoneDeviceError, SimulatedAttestationAuthority } from '@jpki/iphone-device';
import {
  authenticate,
  authenticateIphone,
  createSubscriber,
  createTestCitizen,
  enrollAndAuthenticate,
  enrollIphone,
  HttpJson,
  Iphone,
  IphoneJpkiApp,
  RelyingPartyVerifier,
} from '@jpki/jpki-client';
import { decodeCertificate, describePublicKey } from '@jpki/pki';
import { startPlatformUnderTest, testDatabaseUrl, type PlatformUnderTest } from '@jpki/testing';

/** Every P-256 PKCS#8 (RFC 5915 key inside) starts with these bytes: the clear key would show them. */
const P256_PKCS8_PREFIX = Buffer.from('308187020100301306072a8648ce3d020106082a8648ce3d030107046d306b0201010420', 'hex');

interface PersonView {
  certificates: { kind: string; status: string; serial: string; revocationReason?: string | null; device: Record<string, unknown> | null }[];
}

/**
 * The iPhone flows with every service as its own process on the real broker and database: method ② (the
 * Secure Enclave's own key, CSR + SIMULATED Apple-like attestation) and method ① (a CA-generated key sealed
 * to an attested Secure Enclave key-agreement key), each ending in a relying-party login (signature, chain to
 * the JPKI user-authentication CA, OCSP good); the refusal of an attestation from an unknown vendor; and one
 * active phone per person across SIM and iPhone.
 */
describe('e2e: iPhone enrollment by method ① and ② and authentication', () => {
  let platform: PlatformUnderTest;

  const person = (personId: string) => new HttpJson(platform.endpoints.ca, platform.operatorToken).get<PersonView>(`/citizens/${personId}`);

  beforeAll(async () => {
    platform = await startPlatformUnderTest({ only: ['jpki-ca', 'sp-tsm', 'mno-tsm-docomo', 'vsim'] });
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
  });

  it('method ② (device-key): the Secure Enclave key is certified from its attested CSR and logs in after Face ID (OCSP good)', async () => {
    const e = platform.endpoints;
    const citizen = await createTestCitizen(e, platform.operatorToken);
    const { enrollment, authenticator, iphone } = await enrollIphone(e, citizen, { method: 'device-key', vendor: platform.keys.deviceAttestation });

    expect(enrollment).toMatchObject({ status: 'completed', state: 'issued', method: 'device-key', deviceId: iphone.deviceId });
    expect(enrollment.history.filter((h) => h.outcome === 'completed').map((h) => h.step)).toEqual(['identity-proofing', 'certificate-issuance']);
    expect(enrollment.deliveredKey).toBeUndefined();
    const certificate = decodeCertificate(Buffer.from(enrollment.certificate!, 'base64'));
    expect(describePublicKey(certificate.tbs.subjectPublicKeyInfo)).toMatchObject({ algorithm: 'EC', namedCurve: 'prime256v1' });
    // The certified key is the one generated (and still held) in the enclave.
    expect(certificate.tbs.subjectPublicKeyInfo).toEqual(iphone.enclave.key(authenticator!.keyLabel).publicKeySpki);

    const login = await authenticateIphone(e, authenticator!);
    expect(login).toMatchObject({ ok: true, serial: enrollment.serial });
    // No face, no signature.
    expect(() => authenticator!.signChallenge(randomBytes(32), 'no-match')).toThrow(IphoneDeviceError);

    const phones = (await person(citizen.personId)).certificates.filter((c) => c.kind === 'phone-user-authentication');
    expect(phones).toEqual([expect.objectContaining({ status: 'good', serial: enrollment.serial, device: { kind: 'iphone', deviceId: iphone.deviceId } })]);
  }, 120_000);

  it('method ① (ca-generated): the key is sealed to the iPhone — the SP-TSM never has it in clear — and logs in (OCSP good)', async () => {
    const e = platform.endpoints;
    const citizen = await createTestCitizen(e, platform.operatorToken);
    const iphone = Iphone.create({ vendor: platform.keys.deviceAttestation });
    const app = new IphoneJpkiApp(e, iphone);
    const started = await app.startEnrollment({ card: citizen.card, signingPassword: citizen.signingPassword, method: 'ca-generated' });
    const enrollment = await app.waitForEnrollment(started.view.enrollmentId);
    expect(enrollment).toMatchObject({ status: 'completed', state: 'issued', method: 'ca-generated' });

    // What the SP-TSM forwarded: a box for `iphone:<deviceId>` with a P-256 ephemeral key.
    const box = enrollment.deliveredKey!;
    expect(box.recipient).toBe(`iphone:${iphone.deviceId}`);
    expect(createPublicKey({ key: Buffer.from(box.epk, 'base64'), format: 'der', type: 'spki' }).asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    // The SP-TSM's own transport key (what it opens CA-delivered SIM keys with) cannot open it.
    const spTsmKey = transportPrivateKey(platform.keys.keys.get('sp-tsm')!.transportPkcs8);
    expect(() => open(box, box.recipient, spTsmKey, enrollment.deliveredKeyAad!)).toThrow(SealedBoxError);
    expect(() => open(box, 'sp-tsm', spTsmKey, enrollment.deliveredKeyAad!)).toThrow(SealedBoxError);
    // Nothing the SP-TSM stored (saga data, outbox, inbox, …) holds a clear P-256 private key; the box is there.
    const db = new Client({ connectionString: testDatabaseUrl() });
    await db.connect();
    try {
      const schema = platform.stack.get('sp-tsm').spec.schema;
      const { rows: tables } = await db.query<{ table_name: string }>(`SELECT table_name FROM information_schema.tables WHERE table_schema = $1`, [schema]);
      let dump = '';
      for (const { table_name } of tables) {
        const { rows } = await db.query<{ row: string }>(`SELECT t::text AS row FROM "${schema}"."${table_name}" t`);
        dump += rows.map((r) => r.row).join('\n');
      }
      expect(dump).toContain(box.ciphertext);
      for (const encoding of ['base64', 'hex', 'base64url'] as const) expect(dump).not.toContain(P256_PKCS8_PREFIX.toString(encoding));
    } finally {
      await db.end();
    }

    // The device opens it inside its Secure Enclave (Face ID confirms), imports it non-exportable, and logs in.
    const authenticator = app.install(enrollment, started)!;
    const imported = iphone.enclave.key(authenticator.keyLabel);
    expect(imported).toMatchObject({ origin: 'imported', accessControl: 'biometry-current-set' });
    expect(iphone.enclave.has(started.agreementLabel!)).toBe(false);
    expect(JSON.stringify(iphone.enclave.exportState())).not.toContain(P256_PKCS8_PREFIX.toString('base64'));
    const login = await authenticateIphone(e, authenticator);
    expect(login).toMatchObject({ ok: true, serial: enrollment.serial });
  }, 120_000);

  it('refuses an iPhone whose attestation is signed by an unknown vendor CA (ATTESTATION_UNTRUSTED) and issues nothing', async () => {
    const e = platform.endpoints;
    const citizen = await createTestCitizen(e, platform.operatorToken);
    const counterfeit = Iphone.create({ vendor: SimulatedAttestationAuthority.generate() });
    const { enrollment, authenticator } = await enrollIphone(e, citizen, { method: 'device-key', iphone: counterfeit });
    expect(enrollment).toMatchObject({ status: 'failed', state: 'refused', failure: { reason: 'ATTESTATION_UNTRUSTED' } });
    expect(enrollment.certificate).toBeUndefined();
    expect(authenticator).toBeUndefined();
    expect(counterfeit.enclave.keys()).toEqual([]);
    expect((await person(citizen.personId)).certificates.filter((c) => c.kind === 'phone-user-authentication')).toEqual([]);
  }, 120_000);

  it('one active phone per person: an iPhone enrollment supersedes the SIM phone (its login is then refused as revoked)', async () => {
    const e = platform.endpoints;
    const citizen = await createTestCitizen(e, platform.operatorToken);
    const subscriber = await createSubscriber(e, platform.operatorToken, 'docomo');
    const sim = await enrollAndAuthenticate(e, citizen, subscriber, 'docomo', 'on-card');
    expect(sim.login).toMatchObject({ ok: true });

    const { enrollment, authenticator } = await enrollIphone(e, citizen, { method: 'ca-generated', vendor: platform.keys.deviceAttestation });
    expect(enrollment.status).toBe('completed');
    expect(await authenticateIphone(e, authenticator!)).toMatchObject({ ok: true });
    expect(await authenticate(e, subscriber.handset, '2580')).toMatchObject({ ok: false, reason: 'CERTIFICATE_REVOKED', serial: sim.enrollment.serial });

    const phones = (await person(citizen.personId)).certificates.filter((c) => c.kind === 'phone-user-authentication');
    expect(phones).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ serial: sim.enrollment.serial, status: 'revoked' }),
        expect.objectContaining({ serial: enrollment.serial, status: 'good', device: expect.objectContaining({ kind: 'iphone' }) }),
      ]),
    );
    // The relying party sees the iPhone certificate chain to the same JPKI user-authentication CA.
    const challenge = randomBytes(32);
    const answer = authenticator!.signChallenge(challenge);
    expect(await new RelyingPartyVerifier(e.ca).verifyLogin(challenge, answer.signature, answer.certificate)).toMatchObject({ ok: true });
  }, 180_000);
});
