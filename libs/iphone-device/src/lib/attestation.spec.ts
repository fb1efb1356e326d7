import { randomBytes } from 'node:crypto';
import { decodeCertificate, toPem } from '@jpki/pki';
import { OpenSslWorkspace } from '@jpki/openssl-judge';
import {
  ATTESTATION_LEAF_VALIDITY_MS,
  attestationNonce,
  decodeAttestationStatement,
  decodeKeyAttestationExtension,
  deviceKeyId,
  encodeAttestationStatement,
  KEY_ATTESTATION_OID,
  SimulatedAttestationAuthority,
  verifyDeviceAttestation,
  type VerifyAttestationOptions,
} from './attestation';
import { SecureEnclave } from './secure-enclave';

describe('SIMULATED Apple-like key attestation', () => {
  const vendor = SimulatedAttestationAuthority.generate();
  const stranger = SimulatedAttestationAuthority.generate(new Date(), 'SIMULATED Device Attestation');
  const nonce = randomBytes(24).toString('base64url');
  let enclave: SecureEnclave;
  let signing: Buffer;
  let other: Buffer;
  let attestation: string;

  const options = (overrides: Partial<VerifyAttestationOptions> = {}): VerifyAttestationOptions => ({
    attestation,
    publicKeySpki: signing,
    applicationNonce: nonce,
    deviceId: 'IPHONE-ATT-0001',
    purpose: 'signing',
    trustAnchors: [vendor.rootCertificate],
    at: new Date(),
    ...overrides,
  });

  beforeAll(async () => {
    enclave = SecureEnclave.create('IPHONE-ATT-0001', { passcode: '111111' });
    enclave.biometrics.enroll();
    signing = enclave.generateSigningKey('auth').publicKeySpki;
    other = enclave.generateSigningKey('other').publicKeySpki;
    enclave.generateKeyAgreementKey('ka');
    attestation = await enclave.attestKey('auth', nonce, vendor);
  });

  it('accepts a genuine attestation and exposes its claims', async () => {
    const result = await verifyDeviceAttestation(options());
    expect(result).toMatchObject({ ok: true, claims: { deviceId: 'IPHONE-ATT-0001', keyPurpose: 'signing', biometryRequired: true, nonExportable: true, origin: 'generated' } });
    if (!result.ok) throw new Error('unreachable');
    expect(result.claims.keyId).toEqual(deviceKeyId(signing));
    expect(result.claims.nonce).toEqual(attestationNonce(nonce, deviceKeyId(signing)));
    expect(result.chain).toHaveLength(3);
  });

  it('the statement is JSON with the leaf (the attested key itself) first; openssl verifies the vendor chain', async () => {
    const [leaf, intermediate] = decodeAttestationStatement(attestation);
    expect(decodeCertificate(leaf).tbs.subjectPublicKeyInfo).toEqual(signing);
    const extension = decodeCertificate(leaf).tbs.extensions.find((e) => e.oid === KEY_ATTESTATION_OID)!;
    expect(extension.critical).toBe(false);
    expect(decodeKeyAttestationExtension(extension.value).deviceId).toBe('IPHONE-ATT-0001');
    const openssl = await OpenSslWorkspace.create();
    try {
      await openssl.write('root.pem', toPem(vendor.rootCertificate, 'CERTIFICATE'));
      await openssl.write('ca.pem', toPem(intermediate, 'CERTIFICATE'));
      await openssl.write('leaf.pem', toPem(leaf, 'CERTIFICATE'));
      const result = await openssl.run(['verify', '-x509_strict', '-CAfile', 'root.pem', '-untrusted', 'ca.pem', 'leaf.pem']);
      expect(result.output).toContain('leaf.pem: OK');
      const text = await openssl.run(['x509', '-in', 'leaf.pem', '-noout', '-text']);
      expect(text.stdout).toContain('SIMULATED Apple-like Device Attestation');
      expect(text.stdout).toContain('prime256v1');
      expect(text.stdout).toContain(KEY_ATTESTATION_OID);
    } finally {
      await openssl.dispose();
    }
  });

  it('refuses an attestation signed by an unknown CA (ATTESTATION_UNTRUSTED)', async () => {
    const forged = await enclave.attestKey('auth', nonce, stranger);
    expect(await verifyDeviceAttestation(options({ attestation: forged }))).toMatchObject({ ok: false, reason: 'ATTESTATION_UNTRUSTED' });
    expect(await verifyDeviceAttestation(options({ trustAnchors: [] }))).toMatchObject({ ok: false, reason: 'ATTESTATION_UNTRUSTED' });
    // Same names, other keys: a look-alike vendor chain does not verify either.
    const [leaf] = decodeAttestationStatement(forged);
    const spliced = encodeAttestationStatement([leaf, vendor.intermediateCertificate]);
    expect(await verifyDeviceAttestation(options({ attestation: spliced }))).toMatchObject({ ok: false, reason: 'ATTESTATION_UNTRUSTED' });
  });

  it('refuses a request key that differs from the attested key (ATTESTATION_KEY_MISMATCH)', async () => {
    const result = await verifyDeviceAttestation(options({ publicKeySpki: other }));
    expect(result).toMatchObject({ ok: false, reason: 'ATTESTATION_KEY_MISMATCH' });
  });

  it('refuses an attestation made for another application nonce (ATTESTATION_NONCE_MISMATCH)', async () => {
    const result = await verifyDeviceAttestation(options({ applicationNonce: randomBytes(24).toString('base64url') }));
    expect(result).toMatchObject({ ok: false, reason: 'ATTESTATION_NONCE_MISMATCH' });
  });

  it('refuses an expired (or not yet valid) attestation (ATTESTATION_EXPIRED)', async () => {
    const later = new Date(Date.now() + ATTESTATION_LEAF_VALIDITY_MS + 60_000);
    expect(await verifyDeviceAttestation(options({ at: later }))).toMatchObject({ ok: false, reason: 'ATTESTATION_EXPIRED' });
    expect(await verifyDeviceAttestation(options({ at: new Date(Date.now() - 86_400_000) }))).toMatchObject({ ok: false, reason: 'ATTESTATION_EXPIRED' });
  });

  it('refuses another device, the wrong key purpose, and garbage', async () => {
    expect(await verifyDeviceAttestation(options({ deviceId: 'IPHONE-OTHER-02' }))).toMatchObject({ ok: false, reason: 'ATTESTATION_DEVICE_MISMATCH' });
    expect(await verifyDeviceAttestation(options({ purpose: 'key-agreement' }))).toMatchObject({ ok: false, reason: 'ATTESTATION_KEY_POLICY' });
    const kaAttestation = await enclave.attestKey('ka', nonce, vendor);
    const ka = enclave.key('ka').publicKeySpki;
    expect(await verifyDeviceAttestation(options({ attestation: kaAttestation, publicKeySpki: ka }))).toMatchObject({ ok: false, reason: 'ATTESTATION_KEY_POLICY' });
    expect(await verifyDeviceAttestation(options({ attestation: kaAttestation, publicKeySpki: ka, purpose: 'key-agreement' }))).toMatchObject({ ok: true });
    for (const garbage of ['', 'bm90IGpzb24=', Buffer.from(JSON.stringify({ fmt: 'other', x5c: [] })).toString('base64'), encodeAttestationStatement([Buffer.from('nope')])]) {
      expect(await verifyDeviceAttestation(options({ attestation: garbage }))).toMatchObject({ ok: false, reason: 'ATTESTATION_MALFORMED' });
    }
    // A vendor certificate without the KeyAttestation extension is not an attestation.
    expect(await verifyDeviceAttestation(options({ attestation: encodeAttestationStatement([vendor.intermediateCertificate]) }))).toMatchObject({
      ok: false,
      reason: 'ATTESTATION_MALFORMED',
    });
  });

  it('round-trips the vendor through JSON (how the test stack hands it to devices) without the root key', async () => {
    const json = vendor.toJSON();
    expect(Object.keys(json).sort()).toEqual(['format', 'intermediate', 'intermediateKey', 'root']);
    const restored = SimulatedAttestationAuthority.fromJSON(JSON.stringify(json));
    const statement = await enclave.attestKey('auth', nonce, restored);
    expect(await verifyDeviceAttestation(options({ attestation: statement }))).toMatchObject({ ok: true });
  });
});
