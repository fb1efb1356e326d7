import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, verify } from 'node:crypto';
import { inspect } from 'node:util';
import { seal } from '@jpki/crypto';
import { buildCsr, verifyCsr } from '@jpki/pki';
import { deviceKeyId } from './attestation';
import { MAX_BIOMETRIC_FAILURES } from './biometric-gate';
import { IphoneDeviceError } from './errors';
import { SecureEnclave, type EnclaveStateFile } from './secure-enclave';

const reason = (fn: () => unknown): string => {
  try {
    fn();
    return 'no error';
  } catch (error) {
    if (error instanceof IphoneDeviceError) return error.reason;
    throw error;
  }
};

/** Every string inside a JSON-able value (recursively). */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value && typeof value === 'object') return Object.values(value).flatMap(strings);
  return [];
}

/** True if any string (base64, base64url or hex) decodes to a private key. */
function containsPrivateKey(texts: readonly string[]): boolean {
  for (const text of texts) {
    for (const encoding of ['base64', 'base64url', 'hex'] as const) {
      try {
        createPrivateKey({ key: Buffer.from(text, encoding), format: 'der', type: 'pkcs8' });
        return true;
      } catch {
        // not a key
      }
    }
  }
  return false;
}

describe('SIMULATED Secure Enclave', () => {
  let clock: Date;
  const now = () => clock;
  let saved: EnclaveStateFile | undefined;
  let hardwareKey: Buffer;
  let enclave: SecureEnclave;

  beforeEach(() => {
    clock = new Date('2026-11-25T10:00:00Z');
    hardwareKey = randomBytes(32);
    enclave = SecureEnclave.create('IPHONE-TEST-0001', { passcode: '135790', hardwareKey, now, onStateChange: (s) => (saved = s) });
  });

  it('creates P-256 signing keys only after biometrics are enrolled; signs only right after a match', () => {
    expect(reason(() => enclave.generateSigningKey('auth'))).toBe('BIOMETRY_NOT_ENROLLED');
    enclave.biometrics.enroll();
    const key = enclave.generateSigningKey('auth');
    const publicKey = createPublicKey({ key: key.publicKeySpki, format: 'der', type: 'spki' });
    expect(publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(key).toMatchObject({ purpose: 'signing', accessControl: 'biometry-current-set', origin: 'generated', keyId: deviceKeyId(key.publicKeySpki).toString('base64url') });

    const data = Buffer.from('challenge');
    expect(reason(() => enclave.sign('auth', data, undefined))).toBe('BIOMETRY_REQUIRED');
    const authorization = enclave.biometrics.authenticate('match');
    const signature = enclave.sign('auth', data, authorization);
    expect(verify('sha256', data, publicKey, signature)).toBe(true);
    // Single use: the same authorization does not sign twice.
    expect(reason(() => enclave.sign('auth', data, authorization))).toBe('BIOMETRY_REQUIRED');
    // Short window: 10 s.
    const late = enclave.biometrics.authenticate('match');
    clock = new Date(clock.getTime() + 10_001);
    expect(reason(() => enclave.sign('auth', data, late))).toBe('BIOMETRY_REQUIRED');
  });

  it('locks biometry after 5 failed matches; the passcode unlocks biometry but never authorizes the key', () => {
    enclave.biometrics.enroll();
    enclave.generateSigningKey('auth');
    for (let i = 1; i < MAX_BIOMETRIC_FAILURES; i++) {
      expect(reason(() => enclave.biometrics.authenticate('no-match'))).toBe('BIOMETRY_NO_MATCH');
      expect(enclave.biometrics.status().failuresLeft).toBe(MAX_BIOMETRIC_FAILURES - i);
    }
    expect(reason(() => enclave.biometrics.authenticate('no-match'))).toBe('BIOMETRY_LOCKOUT');
    expect(reason(() => enclave.biometrics.authenticate('match'))).toBe('BIOMETRY_LOCKOUT');
    expect(reason(() => enclave.biometrics.authorizeWithPasscode('135790'))).toBe('PASSCODE_NOT_ACCEPTED');

    // The lockout survives a restart (it lives in the sealed state).
    const restarted = SecureEnclave.restore(saved!, hardwareKey, { now });
    expect(restarted.biometrics.status()).toMatchObject({ lockedOut: true, failuresLeft: 0 });
    expect(reason(() => restarted.biometrics.unlockWithPasscode('000000'))).toBe('PASSCODE_WRONG');
    restarted.biometrics.unlockWithPasscode('135790');
    expect(restarted.sign('auth', Buffer.from('x'), restarted.biometrics.authenticate('match'))).toBeInstanceOf(Buffer);
  });

  it('a re-enrolled biometric set invalidates keys bound to the previous one', () => {
    enclave.biometrics.enroll();
    enclave.generateSigningKey('auth');
    enclave.biometrics.enroll();
    expect(reason(() => enclave.sign('auth', Buffer.from('x'), enclave.biometrics.authenticate('match')))).toBe('BIOMETRY_SET_CHANGED');
  });

  it('is non-exportable: no method, JSON, inspection or persisted state reveals a private key', async () => {
    enclave.biometrics.enroll();
    const generated = enclave.generateSigningKey('auth');
    // A delivered key (method ①): the test plays the CA, so it knows the PKCS#8 and can look for it.
    const agreement = enclave.generateKeyAgreementKey('ka');
    const caKey = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const pkcs8 = caKey.privateKey.export({ type: 'pkcs8', format: 'der' });
    const jwkD = caKey.privateKey.export({ format: 'jwk' }).d!;
    const box = seal('iphone:IPHONE-TEST-0001', createPublicKey({ key: agreement.publicKeySpki, format: 'der', type: 'spki' }), pkcs8, 'delivered-key/x');
    const imported = enclave.importDeliveredKey('delivered', box, { via: 'ka', recipient: 'iphone:IPHONE-TEST-0001', aad: 'delivered-key/x' }, enclave.biometrics.authenticate('match'));
    expect(imported.publicKeySpki).toEqual(caKey.publicKey.export({ type: 'spki', format: 'der' }));
    const csr = await buildCsr({ subject: [{ type: 'CN', value: 'x' }], signer: enclave.signer('auth', () => enclave.biometrics.authenticate('match')) });

    const views: unknown[] = [JSON.parse(JSON.stringify(enclave)), enclave.keys(), enclave.key('auth'), enclave.exportState(), saved, { inspected: inspect(enclave, { showHidden: true, depth: 10 }) }];
    const texts = views.flatMap(strings).concat(Object.keys(enclave), Object.getOwnPropertyNames(enclave));
    expect(containsPrivateKey(texts)).toBe(false);
    for (const text of texts) {
      expect(text).not.toContain(pkcs8.toString('base64'));
      expect(text).not.toContain(pkcs8.toString('hex'));
      expect(text).not.toContain(jwkD);
    }
    expect(inspect(enclave)).toContain('private keys not inspectable');
    // Nothing on the public surface returns a KeyObject or key bytes.
    const surface = Object.getOwnPropertyNames(SecureEnclave.prototype).filter((name) => name !== 'constructor');
    expect(surface.sort()).toEqual(['attestKey', 'deleteKey', 'exportState', 'generateKeyAgreementKey', 'generateSigningKey', 'has', 'importDeliveredKey', 'key', 'keys', 'sign', 'signer', 'toJSON'].sort());
    for (const info of enclave.keys()) expect(Object.keys(info).sort()).toEqual(['accessControl', 'createdAt', 'keyId', 'label', 'origin', 'publicKeySpki', 'purpose']);
    expect(verifyCsr(csr, { keyAlgorithms: ['EC-P256'] }).subjectPublicKeyInfo).toEqual(generated.publicKeySpki);
  });

  it('persists across restarts only with its own hardware key; a modified state is refused', () => {
    enclave.biometrics.enroll();
    const key = enclave.generateSigningKey('auth');
    const state = enclave.exportState();
    const restored = SecureEnclave.restore(state, hardwareKey, { now });
    expect(restored.key('auth').publicKeySpki).toEqual(key.publicKeySpki);
    const signature = restored.sign('auth', Buffer.from('after restart'), restored.biometrics.authenticate('match'));
    expect(verify('sha256', Buffer.from('after restart'), createPublicKey({ key: key.publicKeySpki, format: 'der', type: 'spki' }), signature)).toBe(true);

    expect(reason(() => SecureEnclave.restore(state, randomBytes(32)))).toBe('STATE_TAMPERED');
    const ct = Buffer.from(state.ciphertext, 'base64');
    ct[3] ^= 0x20;
    expect(reason(() => SecureEnclave.restore({ ...state, ciphertext: ct.toString('base64') }, hardwareKey))).toBe('STATE_TAMPERED');
    expect(reason(() => SecureEnclave.restore({ ...state, deviceId: 'IPHONE-OTHER-0002' }, hardwareKey))).toBe('STATE_TAMPERED');
    expect(reason(() => SecureEnclave.restore({ nope: true } as never, hardwareKey))).toBe('STATE_MALFORMED');
  });

  it('imports a delivered key only through its key-agreement key, for the right purpose, matching the certificate', () => {
    enclave.biometrics.enroll();
    const agreement = enclave.generateKeyAgreementKey('ka');
    const recipientKey = createPublicKey({ key: agreement.publicKeySpki, format: 'der', type: 'spki' });
    const caKey = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const pkcs8 = caKey.privateKey.export({ type: 'pkcs8', format: 'der' });
    const box = seal('iphone:IPHONE-TEST-0001', recipientKey, pkcs8, 'delivered-key/enr-1');
    const options = { via: 'ka', recipient: 'iphone:IPHONE-TEST-0001', aad: 'delivered-key/enr-1' };
    expect(reason(() => enclave.importDeliveredKey('auth', box, options, undefined))).toBe('BIOMETRY_REQUIRED');
    expect(reason(() => enclave.importDeliveredKey('auth', box, { ...options, aad: 'delivered-key/enr-2' }, enclave.biometrics.authenticate('match')))).toBe('DELIVERED_KEY_UNOPENABLE');
    const otherSpki = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ type: 'spki', format: 'der' });
    expect(reason(() => enclave.importDeliveredKey('auth', box, { ...options, expectedPublicKeySpki: otherSpki }, enclave.biometrics.authenticate('match')))).toBe('DELIVERED_KEY_INVALID');
    const rsaBox = seal('iphone:IPHONE-TEST-0001', recipientKey, generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'der' }), 'delivered-key/enr-1');
    expect(reason(() => enclave.importDeliveredKey('auth', rsaBox, options, enclave.biometrics.authenticate('match')))).toBe('DELIVERED_KEY_INVALID');
    const info = enclave.importDeliveredKey('auth', box, { ...options, expectedPublicKeySpki: caKey.publicKey.export({ type: 'spki', format: 'der' }) }, enclave.biometrics.authenticate('match'));
    expect(info).toMatchObject({ purpose: 'signing', origin: 'imported', accessControl: 'biometry-current-set' });
    expect(reason(() => enclave.sign('ka', Buffer.from('x'), enclave.biometrics.authenticate('match')))).toBe('KEY_PURPOSE_MISMATCH');
    enclave.deleteKey('ka');
    expect(reason(() => enclave.key('ka'))).toBe('KEY_NOT_FOUND');
  });
});
