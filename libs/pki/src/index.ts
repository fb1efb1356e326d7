/**
 * @jpki/pki — X.509 toolkit for the SIMULATED JPKI platform: signing abstraction, JPKI profiles,
 * pre-issuance lint, PKCS#10, CRL, OCSP, CMS and path validation. All signing and hashing goes
 * through node:crypto; CSRs, CRLs, OCSP and CMS are encoded and decoded by pkijs + asn1js.
 */

// Encoding, fingerprints, serial numbers
export { toPem } from './lib/encoding/pem';
export { formatSerialNumber, randomSerialNumber, type SerialNumberInput } from './lib/encoding/serial-number';

/** Strict DER decoding (asn1js plus the DER rules it does not enforce), for structures the toolkit has no class for. */
export { Asn1Error, parseDer, signedEnvelope, signatureAlgorithmFor } from './lib/asn1/pkijs-interop';

// Keys and signers
export { createDigestInfoSigner, isSha256DigestInfo, sha256DigestInfo, SoftwareRsaSigner, type Signer } from './lib/keys/signer';
export { generateEcP256KeyPair, isEcP256Spki, parseEcP256Spki, SoftwareEcdsaSigner } from './lib/keys/ec-keys';
export {
  describePublicKey,
  exportPkcs8Der,
  exportSpkiDer,
  generateRsaKeyPair,
  importPkcs8PrivateKey,
  type RsaKeyPair,
} from './lib/keys/rsa-keys';

// Names
export { formatDistinguishedName, type DistinguishedName } from './lib/names/distinguished-name';

// JPKI (SIMULATION of J-LIS)
export { JpkiOid } from './lib/jpki/jpki-oids';
export {
  digitalSignatureSubject,
  JPKI_ROOT_CA_NAME,
  jpkiIssuingCaName,
  jpkiOcspResponderName,
  userAuthenticationSubject,
} from './lib/jpki/jpki-names';
export {
  jpkiDateOfBirth,
  PersonalDataError,
  readJpkiPersonalData,
  type JpkiGenderCode,
  type JpkiPersonalData,
} from './lib/jpki/personal-data';
export { jpkiProfile, type CertificateProfile, type JpkiProfileId } from './lib/jpki/profiles';

// Certificates: decoding, summaries, issuance, lint
export { CertificateFormatError, decodeCertificate } from './lib/x509/certificate';
export { readCertificateExtensions } from './lib/x509/extension-view';
export { basicConstraintsExtension, keyUsageExtension, type ExtensionInput, type KeyUsageName } from './lib/x509/extensions';
export { buildPlainTbsCertificate, issuePlainCertificate } from './lib/x509/plain-certificate';
export {
  issueCertificate,
  prepareCertificate,
  signPreparedCertificate,
  type CertificateIssuer,
  type PreparedCertificate,
} from './lib/issuance/issue-certificate';
export { lintCertificate } from './lib/lint/certificate-lint';
export { LintRejectionError } from './lib/lint/lint-finding';

// PKCS#10
export { buildCsr, CsrError, verifyCsr } from './lib/csr/csr';

// Revocation: reasons, CRL, OCSP
export { RevocationReason, type CertificateStatus, type RevocationReasonName } from './lib/revocation/revocation-reason';
export {
  applyDeltaCrl,
  crlCertificateStatus,
  isDeltaCrl,
  parseCrl,
  verifyCrlSignature,
  type BuildCrlRequest,
  type CrlEntry,
  type CrlEntryInput,
  type ParsedCrl,
} from './lib/crl/crl';
export { issueCrl } from './lib/crl/crl-issuance';
export { certIdMatchesIssuer, computeCertId } from './lib/ocsp/cert-id';
export { buildOcspRequest, decodeOcspGetRequest, OcspRequestError, parseOcspRequest } from './lib/ocsp/ocsp-request';
export { buildOcspErrorResponse, buildOcspResponse } from './lib/ocsp/ocsp-response';
export { respondToOcspRequest, type OcspAuthority } from './lib/ocsp/ocsp-responder';
export { verifyOcspResponse } from './lib/ocsp/ocsp-verification';

// CMS and path validation
export { signCms, verifyCms, type CmsFailureReason, type CmsVerification, type SignCmsOptions } from './lib/cms/signed-data';
export {
  validateCertificate,
  type RevocationChecker,
  type ValidationFailureReason,
  type ValidationResult,
} from './lib/validation/validate-certificate';
