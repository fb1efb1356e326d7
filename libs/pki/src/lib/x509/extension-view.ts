import { Oid } from '../asn1/oids';
import {
  decodeAuthorityInfoAccess,
  decodeAuthorityKeyIdentifier,
  decodeBasicConstraints,
  decodeCertificatePolicies,
  decodeCrlDistributionPoints,
  decodeDirectoryNames,
  decodeKeyUsage,
  decodeExtendedKeyUsage,
  decodeSubjectKeyIdentifier,
  type AuthorityInfoAccess,
  type BasicConstraints,
  type DistributionPointNames,
  type KeyUsageName,
  type X509Extension,
} from './extensions';
import type { DecodedName } from '../names/distinguished-name';

/** The extensions of a certificate decoded once; undecodable ones are listed in `problems`, not thrown. */
export interface CertificateExtensionView {
  readonly basicConstraints?: BasicConstraints;
  readonly keyUsage?: readonly KeyUsageName[];
  readonly extendedKeyUsage?: readonly string[];
  readonly subjectKeyIdentifier?: Buffer;
  readonly authorityKeyIdentifier?: { readonly keyIdentifier?: Buffer };
  readonly certificatePolicies?: readonly string[];
  readonly crlDistributionPoints?: DistributionPointNames;
  readonly authorityInfoAccess?: AuthorityInfoAccess;
  readonly issuerAltName?: readonly DecodedName[];
  /** Raw subjectAltName value (personal data is decoded only where it is needed). */
  readonly subjectAltName?: Buffer;
  readonly duplicates: readonly string[];
  readonly problems: readonly string[];
  raw(oid: string): X509Extension | undefined;
}

const DECODERS: readonly [string, keyof CertificateExtensionView, (value: Buffer) => unknown][] = [
  [Oid.basicConstraints, 'basicConstraints', decodeBasicConstraints],
  [Oid.keyUsage, 'keyUsage', decodeKeyUsage],
  [Oid.extKeyUsage, 'extendedKeyUsage', decodeExtendedKeyUsage],
  [Oid.subjectKeyIdentifier, 'subjectKeyIdentifier', decodeSubjectKeyIdentifier],
  [Oid.authorityKeyIdentifier, 'authorityKeyIdentifier', decodeAuthorityKeyIdentifier],
  [Oid.certificatePolicies, 'certificatePolicies', decodeCertificatePolicies],
  [Oid.crlDistributionPoints, 'crlDistributionPoints', decodeCrlDistributionPoints],
  [Oid.authorityInfoAccess, 'authorityInfoAccess', decodeAuthorityInfoAccess],
  [Oid.issuerAltName, 'issuerAltName', decodeDirectoryNames],
  [Oid.subjectAltName, 'subjectAltName', (value) => value],
];

/** Views already read, by extension list: a certificate decoded once (decodeCertificate shares it) is read once. */
const views = new WeakMap<readonly X509Extension[], CertificateExtensionView>();

export function readCertificateExtensions(extensions: readonly X509Extension[]): CertificateExtensionView {
  const known = views.get(extensions);
  if (known) return known;
  const view = readExtensions(extensions);
  views.set(extensions, view);
  return view;
}

function readExtensions(extensions: readonly X509Extension[]): CertificateExtensionView {
  const problems: string[] = [];
  const view: Record<string, unknown> = {};
  for (const [oid, key, decode] of DECODERS) {
    const extension = extensions.find((candidate) => candidate.oid === oid);
    if (!extension) continue;
    try {
      view[key] = decode(extension.value);
    } catch (error) {
      problems.push(`extension ${oid}: ${(error as Error).message}`);
    }
  }
  const seen = new Set<string>();
  const duplicates = extensions.map((extension) => extension.oid).filter((oid) => seen.has(oid) || !seen.add(oid));
  return {
    ...view,
    duplicates,
    problems,
    raw: (oid: string) => extensions.find((extension) => extension.oid === oid),
  };
}
