/**
 * @jpki/pki — X.509 toolkit for the SIMULATED JPKI platform: signing abstraction, JPKI profiles,
 * pre-issuance lint, PKCS#10, CRL, OCSP, CMS and path validation. All signing and hashing goes
 * through node:crypto; ASN.1 is encoded and decoded by the strict DER codec in lib/asn1.
 */

// Encoding, fingerprints, serial numbers
export { decodePemBlocks, fromPem, PemError, toDer, toPem, type PemBlock, type PemLabel } from './lib/encoding/pem';
export { fingerprintSha256 } from './lib/encoding/fingerprint';
export { formatSerialNumber, parseSerialNumber, randomSerialNumber, SerialNumberError, type SerialNumberInput } from './lib/encoding/serial-number';
export { Oid, type HashAlgorithmName } from './lib/asn1/oids';
/** The strict DER codec, for structures the toolkit has no builder for (e.g. private certificate extensions). */
export * as DerWriter from './lib/asn1/der-writer';
export * as DerReader from './lib/asn1/der-reader';

// Keys and signers
export {
  createDigestInfoSigner,
  encodeSha256DigestInfo,
  sha256DigestInfo,
  SignerError,
  SoftwareRsaSigner,
  type DigestInfoSignerOptions,
  type DigestInfoSignFunction,
  type SignatureAlgorithmName,
  type Signer,
} from './lib/keys/signer';
export {
  generateEcP256KeyPair,
  isEcP256Spki,
  P256_CURVE,
  parseEcP256Spki,
  SoftwareEcdsaSigner,
  type EcKeyPair,
  type EcP256PublicKey,
} from './lib/keys/ec-keys';
export {
  describePublicKey,
  exportPkcs8Der,
  exportPkcs8Pem,
  exportSpkiDer,
  exportSpkiPem,
  generateRsaKeyPair,
  importPkcs8PrivateKey,
  importSpkiPublicKey,
  KeyFormatError,
  parseRsaPublicKeyTemplate,
  rsaSpkiFromComponents,
  rsaSpkiFromPublicKeyTemplate,
  type PublicKeyDescription,
  type RsaKeyPair,
  type RsaPublicKeyComponents,
} from './lib/keys/rsa-keys';
export { verifyEcdsaSignature, verifyRsaSignature, verifySignature } from './lib/keys/signature-verification';

// Names
export {
  decodeDistinguishedName,
  distinguishedNamesMatch,
  encodeDistinguishedName,
  formatDistinguishedName,
  NAME_ATTRIBUTE_UPPER_BOUNDS,
  type DecodedName,
  type DecodedNameAttribute,
  type DistinguishedName,
  type NameAttribute,
  type NameAttributeType,
} from './lib/names/distinguished-name';

// JPKI (SIMULATION of J-LIS)
export { JPKI_PERSONAL_DATA_OIDS, JPKI_SIMULATION_ARC, JpkiOid } from './lib/jpki/jpki-oids';
export {
  digitalSignatureSubject,
  JPKI_ISSUER_ALT_NAME,
  JPKI_ROOT_CA_NAME,
  JPKI_SIMULATION_MARKER,
  jpkiIssuingCaName,
  jpkiOcspResponderName,
  userAuthenticationSubject,
  type DigitalSignatureSubjectInput,
  type JpkiCaFunction,
} from './lib/jpki/jpki-names';
export {
  decodeJpkiPersonalData,
  encodeJpkiPersonalData,
  jpkiDateOfBirth,
  jpkiPersonalDataExtension,
  PersonalDataError,
  readJpkiPersonalData,
  validateJpkiPersonalData,
  type JpkiGenderCode,
  type JpkiPersonalData,
} from './lib/jpki/personal-data';
export { JPKI_PROFILES, jpkiProfile, type CertificateKind, type CertificateProfile, type JpkiProfileId } from './lib/jpki/profiles';

// Certificates: decoding, summaries, issuance, lint
export { CertificateFormatError, decodeCertificate, type DecodedCertificate, type DecodedTbsCertificate } from './lib/x509/certificate';
export { readCertificateExtensions, type CertificateExtensionView } from './lib/x509/extension-view';
export {
  basicConstraintsExtension,
  extendedKeyUsageExtension,
  keyIdentifierFromSpki,
  keyUsageExtension,
  type ExtensionInput,
  type KeyUsageName,
  type X509Extension,
} from './lib/x509/extensions';
export { buildPlainTbsCertificate, issuePlainCertificate, PlainCertificateError, type PlainCertificateRequest } from './lib/x509/plain-certificate';
export { ecdsaWithSha256Algorithm, signatureAlgorithmFor } from './lib/x509/signed-structure';
export { summarizeCertificate, type SummaryOptions, type X509Summary } from './lib/x509/x509-summary';
export {
  IssuanceError,
  issueCertificate,
  prepareCertificate,
  signPreparedCertificate,
  type CertificateIssuer,
  type CertificateValidity,
  type IssueCertificateRequest,
  type PreparedCertificate,
} from './lib/issuance/issue-certificate';
export {
  ecP256KeyFindings,
  lintCertificate,
  type CertificateLintCode,
  type CertificateLintContext,
  type CertificateLintFinding,
} from './lib/lint/certificate-lint';
export { lintCrl, type CrlLintCode, type CrlLintContext, type CrlLintFinding } from './lib/lint/crl-lint';
export { LintRejectionError, type LintFinding } from './lib/lint/lint-finding';

// PKCS#10
export {
  buildCsr,
  CsrError,
  verifyCsr,
  type BuildCsrOptions,
  type CsrKeyAlgorithm,
  type CsrPolicy,
  type CsrRejectionReason,
  type VerifiedCsr,
} from './lib/csr/csr';

// Revocation: reasons, CRL, OCSP
export {
  JPKI_REVOCATION_REASON_MEANINGS,
  RevocationReason,
  revocationReasonName,
  type CertificateStatus,
  type RevocationReasonName,
} from './lib/revocation/revocation-reason';
export {
  applyDeltaCrl,
  crlCertificateStatus,
  CrlFormatError,
  DeltaCrlMismatchError,
  findCrlEntry,
  isDeltaCrl,
  parseCrl,
  verifyCrlSignature,
  type BuildCrlRequest,
  type CrlEntry,
  type CrlEntryInput,
  type CrlIssuer,
  type ParsedCrl,
} from './lib/crl/crl';
export { issueCrl } from './lib/crl/crl-issuance';
export { certIdMatchesIssuer, computeCertId, type CertId } from './lib/ocsp/cert-id';
export {
  buildOcspRequest,
  decodeOcspGetRequest,
  OcspRequestError,
  parseOcspRequest,
  type BuildOcspRequestOptions,
  type BuiltOcspRequest,
  type OcspRequestInfo,
  type OcspSingleRequest,
} from './lib/ocsp/ocsp-request';
export {
  buildOcspErrorResponse,
  buildOcspResponse,
  OCSP_RESPONSE_STATUS,
  type BuildOcspResponseRequest,
  type OcspErrorStatus,
  type OcspResponder,
  type OcspResponseStatus,
  type OcspSingleResponseInput,
} from './lib/ocsp/ocsp-response';
export { OcspTryLaterError, respondToOcspRequest, type OcspAuthority, type OcspResponderOptions } from './lib/ocsp/ocsp-responder';
export {
  verifyOcspResponse,
  type OcspVerificationFailure,
  type OcspVerificationResult,
  type VerifyOcspResponseOptions,
} from './lib/ocsp/ocsp-verification';

// CMS and path validation
export { signCms, verifyCms, type CmsFailureReason, type CmsVerification, type SignCmsOptions, type VerifyCmsOptions } from './lib/cms/signed-data';
export {
  validateCertificate,
  type RevocationChecker,
  type ValidateCertificateOptions,
  type ValidationFailureReason,
  type ValidationResult,
} from './lib/validation/validate-certificate';
