/**
 * The JPKI app on a SIMULATED iPhone: enrolls through the SP-TSM by method ② (`device-key`: the Secure
 * Enclave key, CSR + device attestation) or method ① (`ca-generated`: the CA's key sealed to an attested
 * Secure Enclave key-agreement key, opened and imported inside the enclave), then answers relying-party
 * challenges with the enclave key after Face ID / Touch ID. Formats: docs/IPHONE-METHODS.md.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { CARRIERS, type Carrier, type IphoneEnrollmentView, type IphoneMethod, type MvnoId, type PhoneEnrollmentApplication } from '@jpki/contracts';
import {
  deviceKeyIdText,
  SecureEnclave,
  SimulatedAttestationAuthority,
  type AttestationAuthorityJson,
  type BiometricPresentation,
  type EnclaveOptions,
  type EnclaveStateFile,
} from '@jpki/iphone-device';
import type { VirtualMyNumberCard } from '@jpki/mynumber-card';
import { buildCsr, decodeCertificate, formatSerialNumber } from '@jpki/pki';
import type { PlatformEndpoints } from './endpoints';
import { HttpJson } from './http-json';
import { RelyingPartyVerifier, type LoginCheck } from './relying-party';
import { followSaga } from './saga-progress';

/** The SIMULATED handset: its Secure Enclave and the platform vendor it obtains attestations from. */
export class Iphone {
  private constructor(
    readonly enclave: SecureEnclave,
    readonly vendor: SimulatedAttestationAuthority,
    readonly model: string,
  ) {}

  get deviceId(): string {
    return this.enclave.deviceId;
  }

  /** A new iPhone with Face ID enrolled. */
  static create(options: {
    vendor: SimulatedAttestationAuthority | AttestationAuthorityJson;
    deviceId?: string;
    model?: string;
    passcode?: string;
    hardwareKey?: Buffer;
    enclave?: EnclaveOptions;
  }): Iphone {
    const deviceId = options.deviceId ?? `IPHONE-${randomBytes(8).toString('hex').toUpperCase()}`;
    const enclave = SecureEnclave.create(deviceId, { ...options.enclave, passcode: options.passcode ?? '000000', hardwareKey: options.hardwareKey });
    enclave.biometrics.enroll();
    return new Iphone(enclave, vendorOf(options.vendor), options.model ?? 'iPhone 16');
  }

  /** The same iPhone after a restart (its sealed enclave state and hardware key). */
  static restore(options: {
    vendor: SimulatedAttestationAuthority | AttestationAuthorityJson;
    state: EnclaveStateFile;
    hardwareKey: Buffer;
    model?: string;
    enclave?: EnclaveOptions;
  }): Iphone {
    return new Iphone(SecureEnclave.restore(options.state, options.hardwareKey, options.enclave), vendorOf(options.vendor), options.model ?? 'iPhone 16');
  }
}

/** The platform vendor (attestation CA) saved in `file` (`iphone-vendor-create`), else in the file JPKI_DEVICE_ATTESTATION names. */
export function loadIphoneVendor(file: string | undefined, env: NodeJS.ProcessEnv = process.env): SimulatedAttestationAuthority {
  const source = file ?? env['JPKI_DEVICE_ATTESTATION'];
  if (!source) throw new Error('the platform vendor (attestation CA) is needed: --vendor <file> or JPKI_DEVICE_ATTESTATION=<file>');
  return SimulatedAttestationAuthority.fromJSON(JSON.parse(readFileSync(source, 'utf8')) as AttestationAuthorityJson);
}

function vendorOf(vendor: SimulatedAttestationAuthority | AttestationAuthorityJson): SimulatedAttestationAuthority {
  return vendor instanceof SimulatedAttestationAuthority ? vendor : SimulatedAttestationAuthority.fromJSON(vendor);
}

/** A relying party's challenge answered by the enclave key (ECDSA P-256, DER) with the phone certificate. */
export interface IphoneChallengeAnswer {
  signature: Buffer;
  certificate: Buffer;
}

/** The enrolled JPKI user-authentication key of an iPhone: signs only after a successful biometric check. */
export class IphoneAuthenticator {
  constructor(
    readonly iphone: Iphone,
    /** Enclave label of the key. */
    readonly keyLabel: string,
    readonly certificate: Buffer,
  ) {}

  get serial(): string {
    return formatSerialNumber(decodeCertificate(this.certificate).tbs.serialNumber);
  }

  /** Face ID / Touch ID (`biometric`), then the enclave signs the challenge. Throws IphoneDeviceError on refusal. */
  signChallenge(challenge: Buffer, biometric: BiometricPresentation = 'match'): IphoneChallengeAnswer {
    const { enclave } = this.iphone;
    const authorization = enclave.biometrics.authenticate(biometric);
    return { signature: enclave.sign(this.keyLabel, challenge, authorization), certificate: this.certificate };
  }

  /** The same as a relying-party client's challenge signer (`(challenge) => Promise<{ signature, certificate }>`). */
  challengeSigner(biometric: BiometricPresentation = 'match'): (challenge: Buffer) => Promise<IphoneChallengeAnswer> {
    return async (challenge) => this.signChallenge(challenge, biometric);
  }
}

export interface IphoneEnrollRequest {
  card: VirtualMyNumberCard;
  signingPassword: string;
  method: IphoneMethod;
  /** The user's phone line, named in the application (its schema requires one); random when absent. */
  msisdn?: string;
  operator?: Carrier | MvnoId;
  /** What the user presents to Face ID when the key is used during enrollment (CSR, key installation). */
  biometric?: BiometricPresentation;
}

export interface IphoneEnrollmentOutcome {
  enrollment: IphoneEnrollmentView;
  /** Present when the enrollment completed and the key is usable. */
  authenticator?: IphoneAuthenticator;
}

/** The JPKI app (Mynaportal-like) on an iPhone. */
export class IphoneJpkiApp {
  constructor(
    private readonly endpoints: PlatformEndpoints,
    readonly iphone: Iphone,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** The card-signed application: an iPhone application naming this device and its key (deviceKeyId). */
  application(req: Pick<IphoneEnrollRequest, 'method' | 'msisdn' | 'operator'>, deviceKeySpki: Buffer): PhoneEnrollmentApplication {
    const operator = req.operator ?? 'docomo';
    const network = (CARRIERS as readonly string[]).includes(operator) ? { carrier: operator as Carrier } : { mvno: operator as MvnoId };
    return {
      purpose: 'phone-enrollment',
      nonce: randomBytes(24).toString('base64url'),
      requestedAt: this.now().toISOString(),
      ...network,
      msisdn: req.msisdn ?? `+8190${String(randomBytes(4).readUInt32BE() % 100_000_000).padStart(8, '0')}`,
      keyMode: req.method === 'device-key' ? 'on-device' : 'ca-generated',
      deviceKind: 'iphone',
      deviceModel: this.iphone.model,
      deviceId: this.iphone.deviceId,
      deviceKeyId: deviceKeyIdText(deviceKeySpki),
    };
  }

  /**
   * Generates the key (② signing key / ① key-agreement key) in the Secure Enclave, has the card sign the
   * application, obtains the key's attestation and posts the enrollment. Returns the view and the key labels.
   */
  async startEnrollment(req: IphoneEnrollRequest, correlationId?: string): Promise<{ view: IphoneEnrollmentView; keyLabel: string; agreementLabel?: string }> {
    const { enclave, vendor } = this.iphone;
    const keyLabel = `jpki-${randomBytes(4).toString('hex')}`;
    const agreementLabel = req.method === 'ca-generated' ? `${keyLabel}-ka` : undefined;
    const deviceKey = agreementLabel ? enclave.generateKeyAgreementKey(agreementLabel) : enclave.generateSigningKey(keyLabel);
    try {
      const application = this.application(req, deviceKey.publicKeySpki);
      const signedApplication = (await req.card.signApplication(req.signingPassword, Buffer.from(JSON.stringify(application), 'utf8'))).toString('base64');
      const attestation = await enclave.attestKey(deviceKey.label, application.nonce, vendor, this.now());
      const common = { signedApplication, deviceId: this.iphone.deviceId, attestation };
      const body =
        req.method === 'device-key'
          ? {
              ...common,
              method: 'device-key' as const,
              csr: (
                await buildCsr({
                  subject: [
                    { type: 'C', value: 'JP' },
                    { type: 'CN', value: this.iphone.deviceId },
                  ],
                  signer: enclave.signer(keyLabel, () => enclave.biometrics.authenticate(req.biometric ?? 'match')),
                })
              ).toString('base64'),
            }
          : { ...common, method: 'ca-generated' as const, keyAgreementPublicKey: deviceKey.publicKeySpki.toString('base64') };
      const view = await new HttpJson(this.endpoints.spTsm, undefined, correlationId).post<IphoneEnrollmentView>('/iphone-enrollments', body);
      return { view, keyLabel, ...(agreementLabel ? { agreementLabel } : {}) };
    } catch (error) {
      enclave.deleteKey(deviceKey.label);
      throw error;
    }
  }

  enrollment(id: string): Promise<IphoneEnrollmentView> {
    return new HttpJson(this.endpoints.spTsm).get<IphoneEnrollmentView>(`/iphone-enrollments/${id}`);
  }

  waitForEnrollment(id: string, onProgress?: (v: IphoneEnrollmentView) => void, timeoutMs = 60_000): Promise<IphoneEnrollmentView> {
    return followSaga(`iPhone enrollment ${id}`, new HttpJson(this.endpoints.spTsm), `/iphone-enrollments/${id}`, onProgress, timeoutMs);
  }


  /**
   * Installs the outcome: ② checks that the certificate certifies the enclave key; ① opens the sealed key
   * inside the enclave with the key-agreement key (Face ID confirms), imports it non-exportable, and
   * deletes the key-agreement key. A failed enrollment removes the keys it created.
   */
  install(view: IphoneEnrollmentView, labels: { keyLabel: string; agreementLabel?: string }, biometric: BiometricPresentation = 'match'): IphoneAuthenticator | undefined {
    const { enclave } = this.iphone;
    if (view.status !== 'completed' || !view.certificate) {
      if (view.status === 'failed') [labels.keyLabel, labels.agreementLabel].forEach((label) => label && enclave.deleteKey(label));
      return undefined;
    }
    const certificate = Buffer.from(view.certificate, 'base64');
    const certifiedKey = decodeCertificate(certificate).tbs.subjectPublicKeyInfo;
    if (view.method === 'ca-generated') {
      if (!view.deliveredKey || !view.deliveredKeyAad || !labels.agreementLabel) throw new Error('the enrollment returned no key sealed to this iPhone');
      enclave.importDeliveredKey(
        labels.keyLabel,
        view.deliveredKey,
        { via: labels.agreementLabel, recipient: `iphone:${this.iphone.deviceId}`, aad: view.deliveredKeyAad, expectedPublicKeySpki: certifiedKey },
        enclave.biometrics.authenticate(biometric),
      );
      enclave.deleteKey(labels.agreementLabel);
    } else if (!enclave.key(labels.keyLabel).publicKeySpki.equals(certifiedKey)) {
      throw new Error('the issued certificate does not certify this iPhone’s key');
    }
    return new IphoneAuthenticator(this.iphone, labels.keyLabel, certificate);
  }

  /** Start, wait, install. */
  async enroll(req: IphoneEnrollRequest, onProgress?: (v: IphoneEnrollmentView) => void): Promise<IphoneEnrollmentOutcome> {
    const started = await this.startEnrollment(req);
    const enrollment = await this.waitForEnrollment(started.view.enrollmentId, onProgress);
    return { enrollment, authenticator: this.install(enrollment, started, req.biometric) };
  }
}

/**
 * The whole iPhone journey for relying-party tests: a (new) iPhone enrolled by `method` with the citizen's
 * card. `vendor` is the platform's SIMULATED attestation CA (`platform.keys.deviceAttestation` in tests).
 */
export async function enrollIphone(
  endpoints: PlatformEndpoints,
  citizen: { card: VirtualMyNumberCard; signingPassword: string },
  options: {
    method: IphoneMethod;
    vendor?: SimulatedAttestationAuthority | AttestationAuthorityJson;
    iphone?: Iphone;
    msisdn?: string;
    operator?: Carrier | MvnoId;
    /** The device's time (application `requestedAt`, attestation validity): follow the platform clock when it is moved. */
    now?: () => Date;
  },
): Promise<IphoneEnrollmentOutcome & { iphone: Iphone }> {
  const iphone = options.iphone ?? Iphone.create({ vendor: requireVendor(options.vendor), enclave: options.now ? { now: options.now } : undefined });
  const outcome = await new IphoneJpkiApp(endpoints, iphone, options.now).enroll({
    card: citizen.card,
    signingPassword: citizen.signingPassword,
    method: options.method,
    msisdn: options.msisdn,
    operator: options.operator,
  });
  return { ...outcome, iphone };
}

function requireVendor(vendor: SimulatedAttestationAuthority | AttestationAuthorityJson | undefined): SimulatedAttestationAuthority | AttestationAuthorityJson {
  if (!vendor) throw new Error('a new iPhone needs the platform vendor (attestation CA); pass `vendor` or an `iphone`');
  return vendor;
}

/** One login with an iPhone at a relying party: a fresh challenge, Face ID, the RP's checks (signature, chain, OCSP). */
export async function authenticateIphone(endpoints: PlatformEndpoints, authenticator: IphoneAuthenticator, biometric: BiometricPresentation = 'match'): Promise<LoginCheck> {
  const challenge = randomBytes(32);
  const answer = authenticator.signChallenge(challenge, biometric);
  return new RelyingPartyVerifier(endpoints.ca).verifyLogin(challenge, answer.signature, answer.certificate);
}
