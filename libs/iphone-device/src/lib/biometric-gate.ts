/**
 * A SIMULATED biometric sensor as the phone's key store sees it: the iPhone's Face ID / Touch ID in front of the Secure
 * Enclave, or an Android handset's sensor in front of its keystore (libs/jpki-client handset-keystore.ts). JPKI on
 * iPhone requires biometrics and does not accept the device passcode (docs/DESIGN.md §3.1): a successful match yields a
 * short-lived, single-use authorization demanded before using a JPKI key. After 5 failed matches biometry is locked
 * out (like Face ID); the passcode only re-enables biometry, it never authorizes a JPKI key.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { IphoneDeviceError } from './errors';

/** What the user presents to the sensor (simulated). */
export type BiometricPresentation = 'match' | 'no-match';

/** Face ID locks biometry after 5 failed attempts. */
export const MAX_BIOMETRIC_FAILURES = 5;
/** How long a successful match authorizes one key operation. */
export const DEFAULT_AUTHORIZATION_WINDOW_MS = 10_000;

/** Persisted (inside the enclave's sealed state): survives restarts, like a PIN retry counter. */
export interface BiometricState {
  enrolled: boolean;
  /** Bumped at every (re-)enrollment; keys bound to the "current set" stop working when it changes. */
  enrolledSet: number;
  failures: number;
  lockedOut: boolean;
  /** salt ‖ SHA-256(salt ‖ passcode), hex; the passcode only unlocks biometry. */
  passcodeVerifier: string;
}

export interface BiometricStatus {
  readonly enrolled: boolean;
  readonly failuresLeft: number;
  readonly lockedOut: boolean;
}

/** Proof of one successful biometric match: opaque, single use, expires after the window. */
export class BiometricAuthorization {
  /** @internal */
  constructor(
    readonly issuedAt: Date,
    readonly expiresAt: Date,
    /** The enrolled biometric set that matched. */
    readonly enrolledSet: number,
  ) {
    Object.freeze(this);
  }
}

export function passcodeVerifier(passcode: string, salt = randomBytes(16)): string {
  return Buffer.concat([salt, createHash('sha256').update(salt).update(passcode, 'utf8').digest()]).toString('hex');
}

export class BiometricGate {
  /** Authorizations issued and not yet used (single use). */
  private readonly outstanding = new WeakSet<BiometricAuthorization>();

  constructor(
    private readonly state: BiometricState,
    private readonly now: () => Date,
    private readonly windowMs: number,
    private readonly persist: () => void,
  ) {}

  static initialState(passcode: string): BiometricState {
    return { enrolled: false, enrolledSet: 0, failures: 0, lockedOut: false, passcodeVerifier: passcodeVerifier(passcode) };
  }

  status(): BiometricStatus {
    return { enrolled: this.state.enrolled, failuresLeft: MAX_BIOMETRIC_FAILURES - this.state.failures, lockedOut: this.state.lockedOut };
  }

  get enrolledSet(): number {
    return this.state.enrolledSet;
  }

  /** Enrolls a face/fingerprint set; a re-enrollment invalidates keys bound to the previous set. */
  enroll(): void {
    this.state.enrolled = true;
    this.state.enrolledSet += 1;
    this.state.failures = 0;
    this.state.lockedOut = false;
    this.persist();
  }

  /** One presentation at the sensor. */
  authenticate(presentation: BiometricPresentation): BiometricAuthorization {
    if (!this.state.enrolled) throw new IphoneDeviceError('BIOMETRY_NOT_ENROLLED', 'no biometrics are enrolled (Face ID / Touch ID, or the handset sensor)');
    if (this.state.lockedOut) {
      throw new IphoneDeviceError('BIOMETRY_LOCKOUT', `biometry is locked after ${MAX_BIOMETRIC_FAILURES} failed attempts; unlock it with the device passcode first`);
    }
    if (presentation !== 'match') {
      this.state.failures += 1;
      if (this.state.failures >= MAX_BIOMETRIC_FAILURES) this.state.lockedOut = true;
      this.persist();
      if (this.state.lockedOut) throw new IphoneDeviceError('BIOMETRY_LOCKOUT', `no match; biometry is now locked after ${MAX_BIOMETRIC_FAILURES} failed attempts`);
      throw new IphoneDeviceError('BIOMETRY_NO_MATCH', `no match; ${MAX_BIOMETRIC_FAILURES - this.state.failures} attempt(s) left before lockout`);
    }
    if (this.state.failures !== 0) {
      this.state.failures = 0;
      this.persist();
    }
    const issuedAt = this.now();
    const authorization = new BiometricAuthorization(issuedAt, new Date(issuedAt.getTime() + this.windowMs), this.state.enrolledSet);
    this.outstanding.add(authorization);
    return authorization;
  }

  /**
   * The device passcode re-enables biometry after a lockout (the failure counter restarts) but is
   * never an authorization for a JPKI key: JPKI on iPhone accepts Face ID / Touch ID only.
   */
  unlockWithPasscode(passcode: string): void {
    const stored = Buffer.from(this.state.passcodeVerifier, 'hex');
    const expected = Buffer.from(passcodeVerifier(passcode, stored.subarray(0, 16)), 'hex');
    if (stored.length !== expected.length || !timingSafeEqual(stored, expected)) throw new IphoneDeviceError('PASSCODE_WRONG', 'wrong device passcode');
    this.state.failures = 0;
    this.state.lockedOut = false;
    this.persist();
  }

  /** What an app asking for "passcode instead of Face ID" gets for a JPKI key. */
  authorizeWithPasscode(_passcode: string): never {
    throw new IphoneDeviceError('PASSCODE_NOT_ACCEPTED', 'the JPKI user-authentication key requires Face ID / Touch ID; the device passcode is not accepted');
  }

  /**
   * Consumes an authorization for one key operation on a key bound to `boundSet`: it must have been
   * issued by this gate, not used before, still within its window, and for the same enrolled set.
   */
  consume(authorization: BiometricAuthorization | undefined, boundSet: number): void {
    if (!authorization || !this.outstanding.has(authorization)) {
      throw new IphoneDeviceError('BIOMETRY_REQUIRED', 'this key is usable only right after a successful biometric check');
    }
    this.outstanding.delete(authorization);
    if (this.now() > authorization.expiresAt) {
      throw new IphoneDeviceError('BIOMETRY_REQUIRED', `the biometric check expired (valid ${this.windowMs} ms); authenticate again`);
    }
    if (authorization.enrolledSet !== boundSet || this.state.enrolledSet !== boundSet) {
      throw new IphoneDeviceError('BIOMETRY_SET_CHANGED', 'the enrolled biometrics changed since this key was created; the key is no longer usable');
    }
  }
}
