import { randomBytes } from 'node:crypto';
import { CARRIERS, type Carrier, type EnrollmentView, type KeyMode, type MvnoId, type PhoneEnrollmentApplication } from '@jpki/contracts';
import type { JpkiKeyRole } from '@jpki/globalplatform';
import type { BiometricPresentation } from '@jpki/iphone-device';
import type { VirtualMyNumberCard } from '@jpki/mynumber-card';
import { createDigestInfoSigner, decodeCertificate, signCms } from '@jpki/pki';
import type { PlatformEndpoints } from './endpoints';
import { CommandError } from './cli-output';
import { JpkiAppletClient, type Handset } from './handset';
import { HttpJson } from './http-json';
import { followSaga } from './saga-progress';

export interface EnrollRequest {
  card: VirtualMyNumberCard;
  signingPassword: string;
  msisdn: string;
  operator: Carrier | MvnoId;
  keyMode: KeyMode;
  deviceModel?: string;
  /** Also the phone signing certificate (スマホ用署名用電子証明書): the application asks for it. */
  signingCertificate?: boolean;
  /** An eSE phone: the handset's embedded SE, where the applet goes instead of the SIM. */
  seid?: string;
}

/**
 * The JPKI-UI app on the phone: reads the My Number card, signs the application with the signing
 * password, enrolls through the SP-TSM, sets the phone PIN and answers authentication challenges
 * with the SIM applet.
 */
export class JpkiUiApp {
  constructor(
    private readonly endpoints: PlatformEndpoints,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** The application the CA verifies during identity proofing (its schema is the CA's). */
  application(req: Omit<EnrollRequest, 'card' | 'signingPassword'>): PhoneEnrollmentApplication {
    const operator = (CARRIERS as readonly string[]).includes(req.operator) ? { carrier: req.operator as Carrier } : { mvno: req.operator as MvnoId };
    return {
      purpose: 'phone-enrollment',
      nonce: randomBytes(24).toString('base64url'),
      requestedAt: this.now().toISOString(),
      ...operator,
      msisdn: req.msisdn,
      keyMode: req.keyMode === 'on-card' ? 'on-device' : 'ca-generated',
      deviceKind: req.seid ? 'ese' : 'sim',
      ...(req.seid ? { seid: req.seid } : {}),
      ...(req.deviceModel ? { deviceModel: req.deviceModel } : {}),
      ...(req.signingCertificate ? { signingCertificate: true } : {}),
    };
  }

  async startEnrollment(req: EnrollRequest, correlationId?: string): Promise<EnrollmentView> {
    const content = Buffer.from(JSON.stringify(this.application(req)), 'utf8');
    const signed = await req.card.signApplication(req.signingPassword, content);
    return new HttpJson(this.endpoints.spTsm, undefined, correlationId).post<EnrollmentView>('/enrollments', {
      signedApplication: signed.toString('base64'),
      msisdn: req.msisdn,
      operator: req.operator,
      keyMode: req.keyMode,
      ...(req.seid ? { seid: req.seid } : {}),
    });
  }

  enrollment(id: string): Promise<EnrollmentView> {
    return new HttpJson(this.endpoints.spTsm).get<EnrollmentView>(`/enrollments/${id}`);
  }

  /** Follows the saga until it completes or fails, reporting every change of step. */
  waitForEnrollment(id: string, onProgress?: (v: EnrollmentView) => void, timeoutMs = 120_000): Promise<EnrollmentView> {
    return followSaga(`enrollment ${id}`, new HttpJson(this.endpoints.spTsm), `/enrollments/${id}`, onProgress, timeoutMs);
  }

  /**
   * The whole issuance on this phone: the card signs the application, the SP-TSM runs the saga, and once the
   * certificate is on this handset's SIM the user's phone PIN is set on it, through this handset (the PIN never
   * leaves the phone). Only the handset holding the SIM can reach the applet, so nobody else can choose the PIN.
   * With `phoneSigningPassword`, the application also asks for the phone signing certificate, whose password is set
   * the same way.
   */
  async enroll(
    req: EnrollRequest & { handset: Handset; phonePin: string; phoneSigningPassword?: string },
    onProgress?: (v: EnrollmentView) => void,
  ): Promise<EnrollmentView> {
    const started = await this.startEnrollment(req);
    const done = await this.waitForEnrollment(started.enrollmentId, onProgress);
    if (done.status !== 'completed') return done;
    const written = done.seid ?? done.iccid;
    if (written !== req.handset.iccid) {
      throw new Error(`enrollment ${done.enrollmentId} wrote secure element ${written ?? '?'}, not the one ${req.handset.iccid} in this handset`);
    }
    await this.setPhonePin(req.handset, req.phonePin);
    if (req.phoneSigningPassword !== undefined) await this.setPhonePin(req.handset, req.phoneSigningPassword, 'signing');
    return done;
  }

  /**
   * The user chooses the phone's 4-digit PIN, or with `role` signing the signing password (6–16 upper-case letters and
   * digits), first time only, on the phone holding the SIM.
   */
  async setPhonePin(handset: Handset, pin: string, role: JpkiKeyRole = 'user-authentication'): Promise<void> {
    await this.withApplet(handset, (applet) => applet.setInitialPin(pin), role);
  }

  /**
   * Signs a document with the phone signing key after its password: a CMS SignedData (DER) with the signing
   * certificate, detached from the document (an e-application sends both).
   */
  signDocument(handset: Handset, signingPassword: string, document: Buffer): Promise<{ signedData: Buffer; certificate: Buffer }> {
    return this.withApplet(
      handset,
      async (applet) => {
        await applet.verifyPin(signingPassword);
        const certificate = await applet.readCertificate();
        const signer = createDigestInfoSigner(decodeCertificate(certificate).tbs.subjectPublicKeyInfo, (digestInfo) => applet.signDigestInfo(digestInfo));
        return { signedData: await signCms(document, certificate, signer, { detached: true }), certificate };
      },
      'signing',
    );
  }

  /**
   * Biometric unlock for the user-authentication key, on a model with a sensor: the PIN, checked at the applet first,
   * is sealed in the handset keystore (the PIN stays the fallback). Never for the signing key: JPKI's signing password
   * is typed every time (BIOMETRICS_NOT_FOR_SIGNING, nothing stored).
   */
  async enableBiometricUnlock(handset: Handset, pin: string, role: JpkiKeyRole = 'user-authentication'): Promise<void> {
    if (role === 'signing') throw new CommandError('the phone signing key is unlocked by its password only, never by biometrics', 'BIOMETRICS_NOT_FOR_SIGNING');
    const keystore = handset.keystore;
    if (!keystore) throw new CommandError('this handset model has no biometric sensor: use the PIN', 'BIOMETRICS_NOT_AVAILABLE');
    await this.withApplet(handset, (applet) => applet.verifyPin(pin));
    keystore.sealPin(pin);
  }

  /** Answers a challenge after a biometric match instead of the typed PIN (the keystore presents the PIN to the applet). */
  async signChallengeWithBiometrics(handset: Handset, presentation: BiometricPresentation, challenge: Buffer): Promise<{ signature: Buffer; certificate: Buffer }> {
    const keystore = handset.keystore;
    if (!keystore) throw new CommandError('this handset model has no biometric sensor: use the PIN', 'BIOMETRICS_NOT_AVAILABLE');
    return this.signChallenge(handset, keystore.openPin(presentation), challenge);
  }

  /** Answers a relying party's challenge: VERIFY PIN, sign, and hand over the certificate. */
  signChallenge(handset: Handset, pin: string, challenge: Buffer): Promise<{ signature: Buffer; certificate: Buffer }> {
    return this.withApplet(handset, async (applet) => {
      await applet.verifyPin(pin);
      return { signature: await applet.sign(challenge), certificate: await applet.readCertificate() };
    });
  }

  /** One OMAPI session to the applet on this handset's SIM, closed afterwards. */
  async withApplet<T>(handset: Handset, fn: (applet: JpkiAppletClient) => Promise<T>, role: JpkiKeyRole = 'user-authentication'): Promise<T> {
    const applet = await JpkiAppletClient.open(this.endpoints.vsim, handset, role);
    try {
      return await fn(applet);
    } finally {
      await applet.close().catch(() => undefined);
    }
  }
}
