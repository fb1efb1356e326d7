/**
 * Pre-issuance certificate lint with a JPKI rule set (docs/DESIGN.md §7): run on a "linting
 * certificate" signed by a throwaway key, before the CA key signs anything. Any finding aborts issuance.
 */
import { type AlgorithmIdentifierValue } from '../asn1/pkijs-interop';
import { Oid } from '../asn1/oids';
import { JPKI_PERSONAL_DATA_OIDS } from '../jpki/jpki-oids';
import { decodeJpkiPersonalData } from '../jpki/personal-data';
import { isUserAuthenticationProfile, jpkiProfile, type CertificateProfile, type JpkiProfileId } from '../jpki/profiles';
import { describePublicKey } from '../keys/rsa-keys';
import { parseEcP256Spki } from '../keys/ec-keys';
import { distinguishedNamesMatch, nameAttributeUpperBound, type NameAttributeType } from '../names/distinguished-name';
import {
  decodeCertificate,
  decodeTbsCertificate,
  type DecodedCertificate,
  type DecodedTbsCertificate,
} from '../x509/certificate';
import { readCertificateExtensions, type CertificateExtensionView } from '../x509/extension-view';
import { decodeOtherNames, keyIdentifierFromSpki } from '../x509/extensions';
import { finding, type LintFinding } from './lint-finding';

export type CertificateLintCode =
  | 'CERTIFICATE_MALFORMED'
  | 'ISSUER_CERTIFICATE_MALFORMED'
  | 'EXTENSION_MALFORMED'
  | 'EXTENSION_DUPLICATE'
  | 'UNKNOWN_CRITICAL_EXTENSION'
  | 'VERSION_NOT_V3'
  | 'SERIAL_NOT_POSITIVE'
  | 'SERIAL_TOO_LONG'
  | 'SIGNATURE_ALGORITHM_NOT_SHA256_RSA'
  | 'SIGNATURE_ALGORITHM_MISMATCH'
  | 'PUBLIC_KEY_MALFORMED'
  | 'PUBLIC_KEY_NOT_RSA'
  | 'EC_KEY_NOT_P256'
  | 'RSA_KEY_TOO_SMALL'
  | 'RSA_EXPONENT_NOT_65537'
  | 'VALIDITY_INVERTED'
  | 'VALIDITY_TOO_LONG'
  | 'VALIDITY_BEFORE_ISSUER'
  | 'VALIDITY_EXCEEDS_ISSUER'
  | 'VALIDITY_EXCEEDS_CARD_CERTIFICATE'
  | 'CARD_CERTIFICATE_NOT_AFTER_MISSING'
  | 'SUBJECT_EMPTY'
  | 'SUBJECT_MULTI_VALUED_RDN'
  | 'SUBJECT_ATTRIBUTE_TOO_LONG'
  | 'SUBJECT_ATTRIBUTE_NOT_ALLOWED'
  | 'SUBJECT_SHAPE_MISMATCH'
  | 'SUBJECT_COUNTRY_INVALID'
  | 'PERSONAL_DATA_IN_USER_AUTHENTICATION_CERTIFICATE'
  | 'PERSONAL_DATA_FORBIDDEN'
  | 'PERSONAL_DATA_MISSING'
  | 'PERSONAL_DATA_INVALID'
  | 'ISSUER_NAME_MISMATCH'
  | 'ISSUER_NOT_CA'
  | 'ISSUER_KEY_MISMATCH'
  | 'BASIC_CONSTRAINTS_MISSING'
  | 'BASIC_CONSTRAINTS_NOT_CRITICAL'
  | 'BASIC_CONSTRAINTS_MISMATCH'
  | 'KEY_USAGE_MISSING'
  | 'KEY_USAGE_NOT_CRITICAL'
  | 'KEY_USAGE_MISMATCH'
  | 'EXTENDED_KEY_USAGE_MISMATCH'
  | 'OCSP_NOCHECK_MISSING'
  | 'OCSP_NOCHECK_UNEXPECTED'
  | 'SUBJECT_KEY_IDENTIFIER_MISSING'
  | 'AUTHORITY_KEY_IDENTIFIER_MISSING'
  | 'AUTHORITY_KEY_IDENTIFIER_MISMATCH'
  | 'CRL_DISTRIBUTION_POINT_MISSING'
  | 'OCSP_URI_MISSING'
  | 'CERTIFICATE_POLICY_MISMATCH'
  | 'ISSUER_ALT_NAME_MISSING';

export type CertificateLintFinding = LintFinding<CertificateLintCode>;

export interface CertificateLintContext {
  readonly profile: JpkiProfileId | CertificateProfile;
  /** Issuing CA certificate (DER); omit for a self-signed root. */
  readonly issuerCertificate?: Buffer;
  /** Phone certificates: notAfter of the holder's card 利用者証明用 certificate. */
  readonly cardCertificateNotAfter?: Date;
  /** SPKI of the key that will sign for real; checked against the issuer certificate (or subject, if self-signed). */
  readonly signerPublicKeySpki?: Buffer;
}

interface LintInput {
  readonly tbs: DecodedTbsCertificate;
  readonly outerSignatureAlgorithm?: AlgorithmIdentifierValue;
  readonly extensions: CertificateExtensionView;
  readonly profile: CertificateProfile;
  readonly issuer?: DecodedCertificate;
  readonly issuerExtensions?: CertificateExtensionView;
  readonly context: CertificateLintContext;
}

type CertificateRule = (input: LintInput) => CertificateLintFinding[];

const MIN_RSA_BITS = 2048;
const MAX_SERIAL_OCTETS = 20;
const DAY_MS = 86_400_000;
const SHA256_RSA_PARAMETERS = Buffer.from([0x05, 0x00]);
/** Extensions this profile family understands; any other critical extension is a finding. */
const UNDERSTOOD_EXTENSIONS = new Set<string>([
  Oid.basicConstraints,
  Oid.keyUsage,
  Oid.extKeyUsage,
  Oid.subjectAltName,
  Oid.certificatePolicies,
  Oid.nameConstraints,
  Oid.policyConstraints,
  Oid.inhibitAnyPolicy,
]);

/** Lints a certificate or a bare TBSCertificate (DER) against a JPKI profile. */
export function lintCertificate(tbsOrCertificate: Buffer, context: CertificateLintContext): CertificateLintFinding[] {
  const subjectOrFinding = decodeLintSubject(tbsOrCertificate);
  if ('code' in subjectOrFinding) return [subjectOrFinding];
  const issuerOrFinding = decodeIssuer(context.issuerCertificate);
  if (issuerOrFinding && 'code' in issuerOrFinding) return [issuerOrFinding];
  const input: LintInput = {
    ...subjectOrFinding,
    profile: jpkiProfile(context.profile),
    issuer: issuerOrFinding,
    issuerExtensions: issuerOrFinding && readCertificateExtensions(issuerOrFinding.tbs.extensions),
    context,
  };
  return [...input.extensions.problems.map(malformedExtension), ...CERTIFICATE_RULES.flatMap((rule) => rule(input))];
}

function decodeLintSubject(
  der: Buffer,
): Pick<LintInput, 'tbs' | 'outerSignatureAlgorithm' | 'extensions'> | CertificateLintFinding {
  let certificate: DecodedCertificate;
  try {
    certificate = decodeCertificate(der);
  } catch (error) {
    // Not a certificate: a bare TBSCertificate, or malformed (then the certificate's error is the finding).
    try {
      const tbs = decodeTbsCertificate(der);
      return { tbs, extensions: readCertificateExtensions(tbs.extensions) };
    } catch {
      return finding('CERTIFICATE_MALFORMED', (error as Error).message);
    }
  }
  const { tbs, signatureAlgorithm } = certificate;
  return { tbs, outerSignatureAlgorithm: signatureAlgorithm, extensions: readCertificateExtensions(tbs.extensions) };
}

function decodeIssuer(der: Buffer | undefined): DecodedCertificate | CertificateLintFinding | undefined {
  if (!der) return undefined;
  try {
    return decodeCertificate(der);
  } catch (error) {
    return finding('ISSUER_CERTIFICATE_MALFORMED', (error as Error).message);
  }
}

function malformedExtension(problem: string): CertificateLintFinding {
  return finding('EXTENSION_MALFORMED', problem);
}

const lintStructure: CertificateRule = ({ tbs, extensions }) => [
  ...(tbs.version === 3 ? [] : [finding('VERSION_NOT_V3', `certificate is v${tbs.version}`)]),
  ...extensions.duplicates.map((oid) => finding('EXTENSION_DUPLICATE', `extension ${oid} appears more than once`)),
  ...tbs.extensions
    .filter((extension) => extension.critical && !UNDERSTOOD_EXTENSIONS.has(extension.oid))
    .map((extension) => finding('UNKNOWN_CRITICAL_EXTENSION', `critical extension ${extension.oid} is not understood`)),
];

const lintSerialNumber: CertificateRule = ({ tbs }) => {
  const findings: CertificateLintFinding[] = [];
  if (tbs.serialNumber <= 0n) findings.push(finding('SERIAL_NOT_POSITIVE', 'serialNumber must be a positive integer'));
  if (tbs.serialNumberOctets.length > MAX_SERIAL_OCTETS) {
    findings.push(finding('SERIAL_TOO_LONG', `serialNumber is ${tbs.serialNumberOctets.length} octets (max ${MAX_SERIAL_OCTETS})`));
  }
  return findings;
};

const lintSignatureAlgorithm: CertificateRule = ({ tbs, outerSignatureAlgorithm }) => {
  const findings: CertificateLintFinding[] = [];
  if (!isSha256WithRsa(tbs.signatureAlgorithm)) {
    findings.push(finding('SIGNATURE_ALGORITHM_NOT_SHA256_RSA', `signature algorithm ${tbs.signatureAlgorithm.oid} (parameters must be NULL)`));
  }
  if (outerSignatureAlgorithm && !outerSignatureAlgorithm.raw.equals(tbs.signatureAlgorithm.raw)) {
    findings.push(finding('SIGNATURE_ALGORITHM_MISMATCH', 'signatureAlgorithm differs from tbsCertificate.signature'));
  }
  return findings;
};

export function isSha256WithRsa(algorithm: AlgorithmIdentifierValue): boolean {
  return algorithm.oid === Oid.sha256WithRsaEncryption && !!algorithm.parameters?.equals(SHA256_RSA_PARAMETERS);
}

/** RSA ≥ 2048 with e = 65537; profiles that allow EC (the phone profile) also take exactly P-256 with an uncompressed point. */
const lintPublicKey: CertificateRule = ({ tbs, profile }) => {
  let description: ReturnType<typeof describePublicKey>;
  try {
    description = describePublicKey(tbs.subjectPublicKeyInfo);
  } catch (error) {
    return [finding('PUBLIC_KEY_MALFORMED', (error as Error).message)];
  }
  if (profile.allowsEcP256 && description.algorithm === 'EC') {
    try {
      parseEcP256Spki(tbs.subjectPublicKeyInfo);
      return [];
    } catch (error) {
      return [finding('EC_KEY_NOT_P256', (error as Error).message)];
    }
  }
  if (description.algorithm !== 'RSA') return [finding('PUBLIC_KEY_NOT_RSA', `key type ${description.keyType}; JPKI requires RSA`)];
  const findings: CertificateLintFinding[] = [];
  if ((description.modulusBits ?? 0) < MIN_RSA_BITS) {
    findings.push(finding('RSA_KEY_TOO_SMALL', `RSA modulus is ${description.modulusBits} bits (min ${MIN_RSA_BITS})`));
  }
  if (description.publicExponent !== 65537n) {
    findings.push(finding('RSA_EXPONENT_NOT_65537', `RSA public exponent is ${description.publicExponent}`));
  }
  return findings;
};

const lintValidity: CertificateRule = ({ tbs, profile, issuer, context }) => {
  const findings: CertificateLintFinding[] = [];
  const days = (tbs.notAfter.getTime() - tbs.notBefore.getTime()) / DAY_MS;
  if (days <= 0) findings.push(finding('VALIDITY_INVERTED', 'notAfter is not after notBefore'));
  if (days > profile.maxValidityDays) {
    findings.push(finding('VALIDITY_TOO_LONG', `validity of ${Math.ceil(days)} days exceeds ${profile.maxValidityDays} for ${profile.id}`));
  }
  if (issuer && tbs.notBefore < issuer.tbs.notBefore) {
    findings.push(finding('VALIDITY_BEFORE_ISSUER', 'notBefore precedes the issuer certificate notBefore'));
  }
  if (issuer && tbs.notAfter > issuer.tbs.notAfter) {
    findings.push(finding('VALIDITY_EXCEEDS_ISSUER', `notAfter ${iso(tbs.notAfter)} is beyond the issuer's ${iso(issuer.tbs.notAfter)}`));
  }
  return [...findings, ...cardBoundFindings(tbs, profile, context)];
};

function cardBoundFindings(tbs: DecodedTbsCertificate, profile: CertificateProfile, context: CertificateLintContext): CertificateLintFinding[] {
  if (!profile.boundToCardCertificate) return [];
  const cardNotAfter = context.cardCertificateNotAfter;
  if (!cardNotAfter) {
    return [finding('CARD_CERTIFICATE_NOT_AFTER_MISSING', `${profile.id} needs the card certificate's notAfter to bound its validity`)];
  }
  return tbs.notAfter > cardNotAfter
    ? [finding('VALIDITY_EXCEEDS_CARD_CERTIFICATE', `notAfter ${iso(tbs.notAfter)} is beyond the card certificate's ${iso(cardNotAfter)}`)]
    : [];
}

const lintSubject: CertificateRule = ({ tbs, profile }) => {
  const { attributes, multiValuedRdn } = tbs.subject;
  if (attributes.length === 0) return [finding('SUBJECT_EMPTY', 'subject is empty')];
  const findings: CertificateLintFinding[] = multiValuedRdn ? [finding('SUBJECT_MULTI_VALUED_RDN', 'subject has a multi-valued RDN')] : [];
  for (const { type, value, stringTag } of attributes) {
    const bound = nameAttributeUpperBound(type);
    if (bound !== undefined && [...value].length > bound) {
      findings.push(finding('SUBJECT_ATTRIBUTE_TOO_LONG', `${type} is ${[...value].length} characters (max ${bound})`));
    }
    if (!profile.subjectAttributes.includes(type as NameAttributeType)) {
      findings.push(finding('SUBJECT_ATTRIBUTE_NOT_ALLOWED', `${type} is not allowed in a ${profile.id} subject`));
    }
    if (type === 'C' && (value !== 'JP' || stringTag !== 0x13)) {
      findings.push(finding('SUBJECT_COUNTRY_INVALID', 'countryName must be PrintableString "JP"'));
    }
  }
  const shape = attributes.map((attribute) => attribute.type).join(',');
  if (profile.subjectShape === 'exact' && shape !== profile.subjectAttributes.join(',')) {
    findings.push(finding('SUBJECT_SHAPE_MISMATCH', `subject is ${shape}, ${profile.id} requires ${profile.subjectAttributes.join(',')}`));
  }
  return findings;
};

const lintPersonalData: CertificateRule = ({ tbs, extensions, profile }) => {
  const otherNames = extensions.subjectAltName ? otherNameTypeIds(extensions.subjectAltName) : [];
  const hasJpkiData = otherNames.some((oid) => JPKI_PERSONAL_DATA_OIDS.includes(oid));
  if (profile.personalData === 'forbidden') return forbiddenPersonalData(tbs, profile, otherNames.length > 0 || hasJpkiData);
  if (!extensions.subjectAltName || !hasJpkiData) return [finding('PERSONAL_DATA_MISSING', `${profile.id} must carry the JPKI personal data SAN`)];
  try {
    decodeJpkiPersonalData(extensions.subjectAltName);
    return [];
  } catch (error) {
    return [finding('PERSONAL_DATA_INVALID', (error as Error).message)];
  }
};

function forbiddenPersonalData(tbs: DecodedTbsCertificate, profile: CertificateProfile, hasOtherNames: boolean): CertificateLintFinding[] {
  const userAuthentication = isUserAuthenticationProfile(profile);
  const code = userAuthentication ? 'PERSONAL_DATA_IN_USER_AUTHENTICATION_CERTIFICATE' : 'PERSONAL_DATA_FORBIDDEN';
  const findings: CertificateLintFinding[] = [];
  if (hasOtherNames) findings.push(finding(code, `${profile.id} must not carry subjectAltName otherNames`));
  const located = tbs.subject.attributes.filter((attribute) => ['L', 'ST', 'O'].includes(attribute.type));
  if (userAuthentication && located.length > 0) {
    findings.push(finding(code, `subject carries ${located.map((attribute) => attribute.type).join(',')}; only C and CN are allowed`));
  }
  return findings;
}

function otherNameTypeIds(subjectAltName: Buffer): string[] {
  try {
    return decodeOtherNames(subjectAltName).map((name) => name.typeId);
  } catch {
    return [];
  }
}

const lintIssuer: CertificateRule = ({ tbs, issuer, issuerExtensions, context }) => {
  const findings: CertificateLintFinding[] = [];
  const expectedIssuerName = issuer ? issuer.tbs.subject : tbs.subject;
  if (!distinguishedNamesMatch(tbs.issuer, expectedIssuerName)) {
    findings.push(finding('ISSUER_NAME_MISMATCH', issuer ? 'issuer differs from the issuer certificate subject' : 'self-signed certificate: issuer differs from subject'));
  }
  if (issuer && !(issuerExtensions?.basicConstraints?.ca && issuerExtensions.keyUsage?.includes('keyCertSign'))) {
    findings.push(finding('ISSUER_NOT_CA', 'issuer certificate lacks basicConstraints cA or keyCertSign'));
  }
  const expectedSignerKey = issuer ? issuer.tbs.subjectPublicKeyInfo : tbs.subjectPublicKeyInfo;
  if (context.signerPublicKeySpki && !context.signerPublicKeySpki.equals(expectedSignerKey)) {
    findings.push(finding('ISSUER_KEY_MISMATCH', 'the signer key does not match the issuer certificate key'));
  }
  return findings;
};

const lintBasicConstraints: CertificateRule = ({ extensions, profile }) => {
  const present = extensions.raw(Oid.basicConstraints);
  const value = extensions.basicConstraints;
  const isCa = profile.kind === 'root-ca' || profile.kind === 'issuing-ca';
  if (!isCa) return value?.ca ? [finding('BASIC_CONSTRAINTS_MISMATCH', `${profile.id} must not be a CA`)] : [];
  if (!present || !value) return [finding('BASIC_CONSTRAINTS_MISSING', 'CA certificate without basicConstraints')];
  const findings: CertificateLintFinding[] = present.critical ? [] : [finding('BASIC_CONSTRAINTS_NOT_CRITICAL', 'basicConstraints must be critical in a CA certificate')];
  if (!value.ca || value.pathLength !== profile.pathLength) {
    findings.push(finding('BASIC_CONSTRAINTS_MISMATCH', `expected cA TRUE with pathLen ${profile.pathLength}`));
  }
  return findings;
};

const lintKeyUsage: CertificateRule = ({ extensions, profile }) => {
  const present = extensions.raw(Oid.keyUsage);
  if (!present || !extensions.keyUsage) return [finding('KEY_USAGE_MISSING', 'keyUsage is required')];
  const findings: CertificateLintFinding[] = present.critical ? [] : [finding('KEY_USAGE_NOT_CRITICAL', 'keyUsage must be critical')];
  if (!sameMembers(extensions.keyUsage, profile.keyUsage)) {
    findings.push(finding('KEY_USAGE_MISMATCH', `keyUsage ${extensions.keyUsage.join('+')}; ${profile.id} requires ${profile.keyUsage.join('+')}`));
  }
  return findings;
};

const lintExtendedKeyUsage: CertificateRule = ({ extensions, profile }) => {
  const actual = extensions.extendedKeyUsage ?? [];
  return sameMembers(actual, profile.extendedKeyUsage)
    ? []
    : [finding('EXTENDED_KEY_USAGE_MISMATCH', `extendedKeyUsage [${actual.join(', ')}]; expected [${profile.extendedKeyUsage.join(', ')}]`)];
};

const lintOcspNoCheck: CertificateRule = ({ extensions, profile }) => {
  const present = extensions.raw(Oid.ocspNoCheck) !== undefined;
  if (profile.ocspNoCheck && !present) return [finding('OCSP_NOCHECK_MISSING', 'delegated OCSP responder needs id-pkix-ocsp-nocheck')];
  if (!profile.ocspNoCheck && present) return [finding('OCSP_NOCHECK_UNEXPECTED', 'id-pkix-ocsp-nocheck outside an OCSP responder certificate')];
  return [];
};

const lintKeyIdentifiers: CertificateRule = ({ extensions, issuer, issuerExtensions, tbs }) => {
  const findings: CertificateLintFinding[] = [];
  if (!extensions.subjectKeyIdentifier) findings.push(finding('SUBJECT_KEY_IDENTIFIER_MISSING', 'subjectKeyIdentifier is required'));
  const authorityKeyId = extensions.authorityKeyIdentifier?.keyIdentifier;
  if (!authorityKeyId) return [...findings, finding('AUTHORITY_KEY_IDENTIFIER_MISSING', 'authorityKeyIdentifier keyIdentifier is required')];
  const expected = issuer
    ? (issuerExtensions?.subjectKeyIdentifier ?? keyIdentifierFromSpki(issuer.tbs.subjectPublicKeyInfo))
    : (extensions.subjectKeyIdentifier ?? keyIdentifierFromSpki(tbs.subjectPublicKeyInfo));
  if (!authorityKeyId.equals(expected)) findings.push(finding('AUTHORITY_KEY_IDENTIFIER_MISMATCH', 'authorityKeyIdentifier does not match the issuer key'));
  return findings;
};

const lintRevocationPointers: CertificateRule = ({ extensions, profile }) => {
  const findings: CertificateLintFinding[] = [];
  const hasCrlUri = (extensions.crlDistributionPoints?.uris.length ?? 0) > 0;
  if (profile.requiresCrlDistributionPoint && !hasCrlUri) findings.push(finding('CRL_DISTRIBUTION_POINT_MISSING', 'cRLDistributionPoints URI is required'));
  if (profile.requiresOcspUri && !extensions.authorityInfoAccess?.ocsp.length) findings.push(finding('OCSP_URI_MISSING', 'authorityInfoAccess OCSP URI is required'));
  return findings;
};

const lintPolicies: CertificateRule = ({ extensions, profile }) => {
  const policies = extensions.certificatePolicies ?? [];
  if (profile.policyOids.length === 0) {
    return policies.length === 0 ? [] : [finding('CERTIFICATE_POLICY_MISMATCH', `${profile.id} carries no certificatePolicies`)];
  }
  const valid = policies.length === 1 && profile.policyOids.includes(policies[0]);
  return valid ? [] : [finding('CERTIFICATE_POLICY_MISMATCH', `policies [${policies.join(', ')}]; expected one of [${profile.policyOids.join(', ')}]`)];
};

const lintIssuerAltName: CertificateRule = ({ extensions, profile }) =>
  profile.issuerAltName && !extensions.issuerAltName?.length
    ? [finding('ISSUER_ALT_NAME_MISSING', 'issuerAltName directoryName is required')]
    : [];

const CERTIFICATE_RULES: readonly CertificateRule[] = [
  lintStructure,
  lintSerialNumber,
  lintSignatureAlgorithm,
  lintPublicKey,
  lintValidity,
  lintSubject,
  lintPersonalData,
  lintIssuer,
  lintBasicConstraints,
  lintKeyUsage,
  lintExtendedKeyUsage,
  lintOcspNoCheck,
  lintKeyIdentifiers,
  lintRevocationPointers,
  lintPolicies,
  lintIssuerAltName,
];

function sameMembers(actual: readonly string[], expected: readonly string[]): boolean {
  return actual.length === expected.length && expected.every((member) => actual.includes(member));
}

function iso(date: Date): string {
  return date.toISOString();
}
