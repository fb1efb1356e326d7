/**
 * A SIMULATED iPhone Secure Enclave: NIST P-256 keys that never leave it. No method returns private key
 * material; the persisted state is one AES-256-GCM blob under a wrapping key derived from the device's
 * hardware key (the simulated fused UID), which stays inside this object. Signing keys are bound to the
 * enrolled biometrics and need a fresh, single-use Face ID / Touch ID authorization for every use.
 */
import {
  createCipheriv,
  createDecipheriv,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  hkdfSync,
  randomBytes,
  sign,
  type KeyObject,
} from 'node:crypto';
import { inspect } from 'node:util';
import { open, SealedBoxError, type SealedBox } from '@jpki/crypto';
import { isEcP256Spki, type Signer } from '@jpki/pki';
import { attestationNonce, deviceKeyId, type AttestedKeyPurpose, type SimulatedAttestationAuthority } from './attestation';
import { BiometricGate, DEFAULT_AUTHORIZATION_WINDOW_MS, type BiometricAuthorization, type BiometricState } from './biometric-gate';
import { IphoneDeviceError } from './errors';

export const ENCLAVE_STATE_FORMAT = 'jpki-sim-iphone-enclave/1';

export type EnclaveKeyPurpose = AttestedKeyPurpose;

/** Public facts about an enclave key (what `SecKeyCopyPublicKey` and the key attributes would tell). */
export interface EnclaveKeyInfo {
  readonly label: string;
  readonly purpose: EnclaveKeyPurpose;
  /** SHA-256 of the uncompressed point, base64url (App Attest's keyId). */
  readonly keyId: string;
  readonly publicKeySpki: Buffer;
  readonly origin: 'generated' | 'imported';
  /** `biometry-current-set` for signing keys; key-agreement keys need only the device. */
  readonly accessControl: 'biometry-current-set' | 'device-only';
  readonly createdAt: string;
}

/** The persisted form: public header + one sealed blob. Nothing in it is usable without the hardware key. */
export interface EnclaveStateFile {
  readonly format: typeof ENCLAVE_STATE_FORMAT;
  readonly deviceId: string;
  readonly iv: string;
  readonly ciphertext: string;
  readonly tag: string;
}

interface StoredKey {
  label: string;
  purpose: EnclaveKeyPurpose;
  origin: 'generated' | 'imported';
  accessControl: 'biometry-current-set' | 'device-only';
  enrolledSet: number;
  createdAt: string;
  /** PKCS#8 DER base64: only ever inside the sealed state. */
  pkcs8: string;
}

interface SealedContent {
  keys: StoredKey[];
  biometrics: BiometricState;
}

interface LiveKey {
  readonly info: EnclaveKeyInfo;
  readonly privateKey: KeyObject;
  readonly enrolledSet: number;
}

export interface EnclaveOptions {
  /** Platform time for authorization windows (default: wall clock). */
  readonly now?: () => Date;
  readonly authorizationWindowMs?: number;
  /** Called with the new sealed state after every change (e.g. write the device's state file). */
  readonly onStateChange?: (state: EnclaveStateFile) => void;
}

export class SecureEnclave {
  readonly #wrapKey: Buffer;
  readonly #keys = new Map<string, LiveKey>();
  readonly #biometricState: BiometricState;
  readonly #onStateChange?: (state: EnclaveStateFile) => void;
  readonly #now: () => Date;
  /** Face ID / Touch ID as the enclave sees it. */
  readonly biometrics: BiometricGate;

  private constructor(
    readonly deviceId: string,
    hardwareKey: Buffer,
    content: SealedContent,
    options: EnclaveOptions,
  ) {
    if (hardwareKey.length !== 32) throw new RangeError('the hardware key is 32 bytes');
    this.#wrapKey = Buffer.from(hkdfSync('sha256', hardwareKey, Buffer.alloc(0), Buffer.from(`${ENCLAVE_STATE_FORMAT}|wrap|${deviceId}`), 32));
    this.#now = options.now ?? (() => new Date());
    this.#onStateChange = options.onStateChange;
    this.#biometricState = content.biometrics;
    this.biometrics = new BiometricGate(this.#biometricState, this.#now, options.authorizationWindowMs ?? DEFAULT_AUTHORIZATION_WINDOW_MS, () => this.#persist());
    for (const stored of content.keys) {
      const privateKey = createPrivateKey({ key: Buffer.from(stored.pkcs8, 'base64'), format: 'der', type: 'pkcs8' });
      this.#keys.set(stored.label, { info: infoOf(stored, privateKey), privateKey, enrolledSet: stored.enrolledSet });
    }
  }

  /** A new device: a random hardware key unless given (the CLI keeps it in its own file, see the docs). */
  static create(deviceId: string, options: EnclaveOptions & { passcode: string; hardwareKey?: Buffer }): SecureEnclave {
    const enclave = new SecureEnclave(deviceId, options.hardwareKey ?? randomBytes(32), { keys: [], biometrics: BiometricGate.initialState(options.passcode) }, options);
    enclave.#persist();
    return enclave;
  }

  /** Restores a device from its sealed state; a modified or foreign state fails (STATE_TAMPERED). */
  static restore(state: EnclaveStateFile, hardwareKey: Buffer, options: EnclaveOptions = {}): SecureEnclave {
    if (state?.format !== ENCLAVE_STATE_FORMAT || typeof state.deviceId !== 'string') throw new IphoneDeviceError('STATE_MALFORMED', 'not an enclave state file');
    const wrapKey = Buffer.from(hkdfSync('sha256', hardwareKey, Buffer.alloc(0), Buffer.from(`${ENCLAVE_STATE_FORMAT}|wrap|${state.deviceId}`), 32));
    let content: SealedContent;
    try {
      const decipher = createDecipheriv('aes-256-gcm', wrapKey, Buffer.from(state.iv, 'base64'));
      decipher.setAAD(Buffer.from(`${ENCLAVE_STATE_FORMAT}|${state.deviceId}`, 'utf8'));
      decipher.setAuthTag(Buffer.from(state.tag, 'base64'));
      content = JSON.parse(Buffer.concat([decipher.update(Buffer.from(state.ciphertext, 'base64')), decipher.final()]).toString('utf8'));
    } catch {
      throw new IphoneDeviceError('STATE_TAMPERED', 'the enclave state does not open with this device’s hardware key (modified, or from another device)');
    } finally {
      wrapKey.fill(0);
    }
    return new SecureEnclave(state.deviceId, hardwareKey, content, options);
  }

  /** The sealed state (safe to write to disk: private keys only inside the AES-GCM blob). */
  exportState(): EnclaveStateFile {
    const content: SealedContent = {
      keys: [...this.#keys.values()].map(({ info, privateKey, enrolledSet }) => ({
        label: info.label,
        purpose: info.purpose,
        origin: info.origin,
        accessControl: info.accessControl,
        enrolledSet,
        createdAt: info.createdAt,
        pkcs8: privateKey.export({ type: 'pkcs8', format: 'der' }).toString('base64'),
      })),
      biometrics: this.#biometricState,
    };
    const plaintext = Buffer.from(JSON.stringify(content), 'utf8');
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#wrapKey, iv);
    cipher.setAAD(Buffer.from(`${ENCLAVE_STATE_FORMAT}|${this.deviceId}`, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    plaintext.fill(0);
    return { format: ENCLAVE_STATE_FORMAT, deviceId: this.deviceId, iv: iv.toString('base64'), ciphertext: ciphertext.toString('base64'), tag: cipher.getAuthTag().toString('base64') };
  }

  keys(): EnclaveKeyInfo[] {
    return [...this.#keys.values()].map((k) => k.info);
  }

  key(label: string): EnclaveKeyInfo {
    return this.#live(label).info;
  }

  has(label: string): boolean {
    return this.#keys.has(label);
  }

  /** A P-256 signing key bound to the currently enrolled biometrics (kSecAccessControlBiometryCurrentSet). */
  generateSigningKey(label: string): EnclaveKeyInfo {
    if (!this.biometrics.status().enrolled) throw new IphoneDeviceError('BIOMETRY_NOT_ENROLLED', 'enroll Face ID / Touch ID before creating a JPKI key');
    return this.#add(label, 'signing', 'generated', generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey);
  }

  /** A P-256 key-agreement key (ECDH) to which the CA seals a CA-generated key (method ①). */
  generateKeyAgreementKey(label: string): EnclaveKeyInfo {
    return this.#add(label, 'key-agreement', 'generated', generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey);
  }

  deleteKey(label: string): void {
    if (this.#keys.delete(label)) this.#persist();
  }

  /** ECDSA P-256 / SHA-256 (DER) over `data`, after a fresh biometric authorization (consumed). */
  sign(label: string, data: Buffer, authorization: BiometricAuthorization | undefined): Buffer {
    const key = this.#live(label);
    if (key.info.purpose !== 'signing') throw new IphoneDeviceError('KEY_PURPOSE_MISMATCH', `${label} is a ${key.info.purpose} key`);
    this.biometrics.consume(authorization, key.enrolledSet);
    return sign('sha256', data, { key: key.privateKey, dsaEncoding: 'der' });
  }

  /** A pki Signer over an enclave key; each signature asks `authorize` for a biometric authorization. */
  signer(label: string, authorize: () => BiometricAuthorization | Promise<BiometricAuthorization>): Signer {
    const { publicKeySpki } = this.key(label);
    return {
      publicKeySpki,
      signatureAlgorithm: 'ecdsa-with-SHA256',
      sign: async (data: Buffer) => this.sign(label, data, await authorize()),
    };
  }

  /**
   * Method ①: opens a sealed box (ECDH-ES P-256 + HKDF + AES-256-GCM) with the key-agreement key, inside
   * the enclave, and imports the PKCS#8 it holds as a non-exportable, biometry-bound signing key. The
   * clear key exists only inside this call; the user confirms the installation with Face ID / Touch ID.
   */
  importDeliveredKey(
    label: string,
    box: SealedBox,
    options: { readonly via: string; readonly recipient: string; readonly aad: string; readonly expectedPublicKeySpki?: Buffer },
    authorization: BiometricAuthorization | undefined,
  ): EnclaveKeyInfo {
    if (this.#keys.has(label)) throw new IphoneDeviceError('KEY_EXISTS', `key ${label} exists`);
    const agreement = this.#live(options.via);
    if (agreement.info.purpose !== 'key-agreement') throw new IphoneDeviceError('KEY_PURPOSE_MISMATCH', `${options.via} is not a key-agreement key`);
    this.biometrics.consume(authorization, this.biometrics.enrolledSet);
    let pkcs8: Buffer;
    try {
      pkcs8 = open(box, options.recipient, agreement.privateKey, options.aad);
    } catch (error) {
      const detail = error instanceof SealedBoxError ? error.message : (error as Error).message;
      throw new IphoneDeviceError('DELIVERED_KEY_UNOPENABLE', detail);
    }
    try {
      let privateKey: KeyObject;
      try {
        privateKey = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
      } catch (error) {
        throw new IphoneDeviceError('DELIVERED_KEY_INVALID', `not a PKCS#8 private key: ${(error as Error).message}`);
      }
      const spki = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
      if (!isEcP256Spki(spki)) throw new IphoneDeviceError('DELIVERED_KEY_INVALID', 'the Secure Enclave holds P-256 keys only');
      if (options.expectedPublicKeySpki && !options.expectedPublicKeySpki.equals(spki)) {
        throw new IphoneDeviceError('DELIVERED_KEY_INVALID', 'the delivered key does not match the certificate');
      }
      return this.#add(label, 'signing', 'imported', privateKey);
    } finally {
      pkcs8.fill(0);
    }
  }

  /**
   * Asks the platform vendor to attest a key for an application: nonce = SHA-256(application nonce ‖ keyId).
   * The claims come from the enclave's own knowledge of the key (purpose, origin, access control).
   */
  attestKey(label: string, applicationNonce: string, vendor: SimulatedAttestationAuthority, now = this.#now()): Promise<string> {
    const { info } = this.#live(label);
    return vendor.certifyKey({
      publicKeySpki: info.publicKeySpki,
      now,
      claims: {
        nonce: attestationNonce(applicationNonce, deviceKeyId(info.publicKeySpki)),
        deviceId: this.deviceId,
        keyPurpose: info.purpose,
        biometryRequired: info.accessControl === 'biometry-current-set',
        nonExportable: true,
        origin: info.origin,
      },
    });
  }

  /** Public information only. */
  toJSON(): { deviceId: string; keys: EnclaveKeyInfo[]; biometrics: ReturnType<BiometricGate['status']> } {
    return { deviceId: this.deviceId, keys: this.keys(), biometrics: this.biometrics.status() };
  }

  [inspect.custom](): string {
    return `SecureEnclave(${this.deviceId}, ${this.#keys.size} key(s), private keys not inspectable)`;
  }

  #add(label: string, purpose: EnclaveKeyPurpose, origin: 'generated' | 'imported', privateKey: KeyObject): EnclaveKeyInfo {
    if (!/^[A-Za-z0-9._:-]{1,64}$/.test(label)) throw new RangeError('key labels are 1–64 of A–Z a–z 0–9 . _ : -');
    if (this.#keys.has(label)) throw new IphoneDeviceError('KEY_EXISTS', `key ${label} exists`);
    const stored: StoredKey = {
      label,
      purpose,
      origin,
      accessControl: purpose === 'signing' ? 'biometry-current-set' : 'device-only',
      enrolledSet: this.biometrics.enrolledSet,
      createdAt: this.#now().toISOString(),
      pkcs8: '',
    };
    const info = infoOf(stored, privateKey);
    this.#keys.set(label, { info, privateKey, enrolledSet: stored.enrolledSet });
    this.#persist();
    return info;
  }

  #live(label: string): LiveKey {
    const key = this.#keys.get(label);
    if (!key) throw new IphoneDeviceError('KEY_NOT_FOUND', `no key ${label} in the Secure Enclave`);
    return key;
  }

  #persist(): void {
    if (this.#onStateChange && this.#wrapKey) this.#onStateChange(this.exportState());
  }
}

function infoOf(stored: Omit<StoredKey, 'pkcs8'>, privateKey: KeyObject): EnclaveKeyInfo {
  const publicKeySpki = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  return Object.freeze({
    label: stored.label,
    purpose: stored.purpose,
    keyId: deviceKeyId(publicKeySpki).toString('base64url'),
    publicKeySpki,
    origin: stored.origin,
    accessControl: stored.accessControl,
    createdAt: stored.createdAt,
  });
}
