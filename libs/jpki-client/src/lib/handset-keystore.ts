import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import {
  BiometricGate,
  DEFAULT_AUTHORIZATION_WINDOW_MS,
  type BiometricAuthorization,
  type BiometricPresentation,
  type BiometricState,
} from '@jpki/iphone-device';
import { CommandError } from './cli-output';

/** What a handset with a biometric sensor keeps in its keystore: never leaves the phone. */
export interface HandsetKeystoreState {
  biometrics: BiometricState;
  /** The keystore's AES-256 key, base64 (hardware-bound on a real phone). */
  key: string;
  /** The user-authentication PIN, sealed under the key and bound to the biometric set enrolled when it was sealed. */
  sealedPin?: { set: number; iv: string; ciphertext: string; tag: string };
}

/**
 * The Android handset's key-use authorisation for the JPKI user-authentication PIN (SIMULATED): with biometric unlock
 * on, the JPKI-UI app keeps the PIN sealed in the handset keystore under a key usable only right after a biometric
 * match of the enrolled set (Android's setUserAuthenticationRequired), and presents it to the applet itself. The applet
 * never sees biometrics, only the PIN; the PIN stays the fallback. The signing key has no such path: its password is
 * typed every time (JpkiUiApp refuses biometric unlock for it).
 */
export class HandsetKeystore {
  readonly biometrics: BiometricGate;

  constructor(private readonly state: HandsetKeystoreState) {
    this.biometrics = new BiometricGate(state.biometrics, () => new Date(), DEFAULT_AUTHORIZATION_WINDOW_MS, () => undefined);
  }

  /** A sensor with one enrolled set; the device passcode only re-enables biometry after a lockout. */
  static initialState(passcode: string): HandsetKeystoreState {
    const state: HandsetKeystoreState = { biometrics: BiometricGate.initialState(passcode), key: randomBytes(32).toString('base64') };
    new HandsetKeystore(state).biometrics.enroll();
    return state;
  }

  get hasPin(): boolean {
    return this.state.sealedPin !== undefined && this.state.sealedPin.set === this.biometrics.enrolledSet;
  }

  sealPin(pin: string): void {
    const set = this.biometrics.enrolledSet;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', Buffer.from(this.state.key, 'base64'), iv).setAAD(Buffer.from(`jpki-pin/${set}`));
    const ciphertext = Buffer.concat([cipher.update(pin, 'utf8'), cipher.final()]);
    this.state.sealedPin = { set, iv: iv.toString('base64'), ciphertext: ciphertext.toString('base64'), tag: cipher.getAuthTag().toString('base64') };
  }

  /** The PIN, for one use, after a fresh match of the set it was sealed with (single-use authorization). */
  openPin(presentation: BiometricPresentation): string {
    const sealed = this.state.sealedPin;
    if (!sealed) throw new CommandError('biometric unlock is off: enter the PIN, or turn biometric unlock on with it', 'BIOMETRIC_UNLOCK_OFF');
    const authorization: BiometricAuthorization = this.biometrics.authenticate(presentation);
    this.biometrics.consume(authorization, sealed.set);
    const decipher = createDecipheriv('aes-256-gcm', Buffer.from(this.state.key, 'base64'), Buffer.from(sealed.iv, 'base64')).setAAD(Buffer.from(`jpki-pin/${sealed.set}`));
    decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(sealed.ciphertext, 'base64')), decipher.final()]).toString('utf8');
  }
}
