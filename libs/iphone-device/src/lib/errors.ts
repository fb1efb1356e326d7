/** Refusals of the SIMULATED iPhone (Secure Enclave, biometrics), with machine-readable reasons. */
export type IphoneDeviceErrorReason =
  | 'BIOMETRY_NOT_ENROLLED'
  | 'BIOMETRY_NO_MATCH'
  | 'BIOMETRY_LOCKOUT'
  | 'BIOMETRY_REQUIRED'
  | 'BIOMETRY_SET_CHANGED'
  | 'PASSCODE_NOT_ACCEPTED'
  | 'PASSCODE_WRONG'
  | 'KEY_NOT_FOUND'
  | 'KEY_EXISTS'
  | 'KEY_PURPOSE_MISMATCH'
  | 'DELIVERED_KEY_UNOPENABLE'
  | 'DELIVERED_KEY_INVALID'
  | 'STATE_TAMPERED'
  | 'STATE_MALFORMED';

export class IphoneDeviceError extends Error {
  constructor(
    readonly reason: IphoneDeviceErrorReason,
    message: string,
  ) {
    super(`${reason}: ${message}`);
    this.name = 'IphoneDeviceError';
  }
}
