/**
 * @jpki/iphone-device — the SIMULATED iPhone of the JPKI platform: a Secure-Enclave-like key store
 * (non-exportable P-256 keys, biometric gate, sealed persisted state) and a SIMULATED Apple-like device
 * key attestation (vendor CA, statement format, and its verification for the JPKI CA).
 * Formats and the comparison of methods ① and ② are in docs/IPHONE-METHODS.md.
 */
export { IphoneDeviceError, type IphoneDeviceErrorReason } from './lib/errors';
export {
  BiometricAuthorization,
  BiometricGate,
  DEFAULT_AUTHORIZATION_WINDOW_MS,
  MAX_BIOMETRIC_FAILURES,
  type BiometricPresentation,
  type BiometricState,
  type BiometricStatus,
} from './lib/biometric-gate';
export {
  ENCLAVE_STATE_FORMAT,
  SecureEnclave,
  type EnclaveKeyInfo,
  type EnclaveKeyPurpose,
  type EnclaveOptions,
  type EnclaveStateFile,
} from './lib/secure-enclave';
export {
  ATTESTATION_FORMAT,
  ATTESTATION_LEAF_VALIDITY_MS,
  attestationNonce,
  decodeAttestationStatement,
  decodeKeyAttestationExtension,
  deviceKeyId,
  deviceKeyIdText,
  encodeAttestationStatement,
  encodeKeyAttestationExtension,
  KEY_ATTESTATION_OID,
  SIMULATED_VENDOR_ARC,
  SimulatedAttestationAuthority,
  verifyDeviceAttestation,
  type AttestationAuthorityJson,
  type AttestationRefusal,
  type AttestationVerification,
  type AttestedKeyPurpose,
  type CertifyKeyRequest,
  type KeyAttestationClaims,
  type VerifyAttestationOptions,
} from './lib/attestation';
