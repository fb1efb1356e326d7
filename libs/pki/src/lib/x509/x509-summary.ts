import { Oid } from '../asn1/oids';
import { fingerprintSha256 } from '../encoding/fingerprint';
import { formatSerialNumber } from '../encoding/serial-number';
import { JPKI_PERSONAL_DATA_OIDS } from '../jpki/jpki-oids';
import { describePublicKey } from '../keys/rsa-keys';
import { formatDistinguishedName, type DecodedName } from '../names/distinguished-name';
import { decodeCertificate } from './certificate';
import { readCertificateExtensions } from './extension-view';
import { decodeOtherNames, type KeyUsageName } from './extensions';

/** JSON-safe certificate summary for logs and API responses; carries no personal data values. */
export interface X509Summary {
  readonly subject: string;
  readonly issuer: string;
  /** Uppercase hex. */
  readonly serialNumber: string;
  readonly notBefore: string;
  readonly notAfter: string;
  readonly signatureAlgorithm: string;
  readonly publicKey: {
    readonly algorithm: string;
    readonly modulusBits?: number;
    readonly publicExponent?: number;
    /** SHA-256 over the SubjectPublicKeyInfo DER (key pinning / correlation without the key itself). */
    readonly spkiSha256: string;
  };
  readonly fingerprintSha256: string;
  readonly isCa: boolean;
  readonly pathLength?: number;
  readonly keyUsage: readonly KeyUsageName[];
  readonly extendedKeyUsage: readonly string[];
  readonly policies: readonly string[];
  readonly subjectKeyIdentifier?: string;
  readonly authorityKeyIdentifier?: string;
  readonly crlDistributionPoints: readonly string[];
  readonly ocspUris: readonly string[];
  /** True when the JPKI 基本4情報 SAN is present; the values themselves are never summarised. */
  readonly personalDataPresent: boolean;
}

export interface SummaryOptions {
  /** Subject L (the holder's municipality in 署名用 certificates) is redacted unless this is true. */
  readonly revealLocality?: boolean;
}

const SIGNATURE_ALGORITHM_NAMES: Readonly<Record<string, string>> = {
  [Oid.sha256WithRsaEncryption]: 'sha256WithRSAEncryption',
  [Oid.sha384WithRsaEncryption]: 'sha384WithRSAEncryption',
  [Oid.sha512WithRsaEncryption]: 'sha512WithRSAEncryption',
  [Oid.sha1WithRsaEncryption]: 'sha1WithRSAEncryption',
};

export function summarizeCertificate(input: Buffer | string, options: SummaryOptions = {}): X509Summary {
  const certificate = decodeCertificate(input);
  const { tbs } = certificate;
  const extensions = readCertificateExtensions(tbs.extensions);
  const key = describePublicKey(tbs.subjectPublicKeyInfo);
  return {
    subject: formatDistinguishedName(options.revealLocality ? tbs.subject : redactLocality(tbs.subject)),
    issuer: formatDistinguishedName(tbs.issuer),
    serialNumber: formatSerialNumber(tbs.serialNumber),
    notBefore: tbs.notBefore.toISOString(),
    notAfter: tbs.notAfter.toISOString(),
    signatureAlgorithm: SIGNATURE_ALGORITHM_NAMES[certificate.signatureAlgorithm.oid] ?? certificate.signatureAlgorithm.oid,
    publicKey: {
      algorithm: key.algorithm,
      modulusBits: key.modulusBits,
      publicExponent: key.publicExponent === undefined ? undefined : Number(key.publicExponent),
      spkiSha256: fingerprintSha256(tbs.subjectPublicKeyInfo),
    },
    fingerprintSha256: fingerprintSha256(certificate.raw),
    isCa: extensions.basicConstraints?.ca ?? false,
    pathLength: extensions.basicConstraints?.pathLength,
    keyUsage: extensions.keyUsage ?? [],
    extendedKeyUsage: extensions.extendedKeyUsage ?? [],
    policies: extensions.certificatePolicies ?? [],
    subjectKeyIdentifier: extensions.subjectKeyIdentifier?.toString('hex').toUpperCase(),
    authorityKeyIdentifier: extensions.authorityKeyIdentifier?.keyIdentifier?.toString('hex').toUpperCase(),
    crlDistributionPoints: extensions.crlDistributionPoints?.uris ?? [],
    ocspUris: extensions.authorityInfoAccess?.ocsp ?? [],
    personalDataPresent: hasPersonalData(extensions.subjectAltName),
  };
}

function redactLocality(name: DecodedName): DecodedName {
  return { ...name, attributes: name.attributes.map((attribute) => (attribute.type === 'L' ? { ...attribute, value: 'REDACTED' } : attribute)) };
}

function hasPersonalData(subjectAltName: Buffer | undefined): boolean {
  if (!subjectAltName) return false;
  try {
    return decodeOtherNames(subjectAltName).some((name) => JPKI_PERSONAL_DATA_OIDS.includes(name.typeId));
  } catch {
    return true;
  }
}
