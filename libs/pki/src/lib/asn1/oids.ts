/** Object identifiers used across the toolkit (RFC 5280, RFC 5652, RFC 6960, RFC 8017). */
export const Oid = {
  rsaEncryption: '1.2.840.113549.1.1.1',
  sha1WithRsaEncryption: '1.2.840.113549.1.1.5',
  sha256WithRsaEncryption: '1.2.840.113549.1.1.11',
  sha384WithRsaEncryption: '1.2.840.113549.1.1.12',
  sha512WithRsaEncryption: '1.2.840.113549.1.1.13',
  ecPublicKey: '1.2.840.10045.2.1',
  /** RFC 5480 named curve secp256r1 (OpenSSL: prime256v1, NIST P-256). */
  prime256v1: '1.2.840.10045.3.1.7',
  /** RFC 5758 ECDSA signature algorithms (AlgorithmIdentifier parameters absent). */
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  ecdsaWithSha384: '1.2.840.10045.4.3.3',
  ecdsaWithSha512: '1.2.840.10045.4.3.4',
  sha1: '1.3.14.3.2.26',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',

  countryName: '2.5.4.6',
  stateOrProvinceName: '2.5.4.8',
  localityName: '2.5.4.7',
  organizationName: '2.5.4.10',
  organizationalUnitName: '2.5.4.11',
  commonName: '2.5.4.3',
  serialNumber: '2.5.4.5',
  emailAddress: '1.2.840.113549.1.9.1',

  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  issuerAltName: '2.5.29.18',
  basicConstraints: '2.5.29.19',
  crlNumber: '2.5.29.20',
  crlReason: '2.5.29.21',
  invalidityDate: '2.5.29.24',
  deltaCrlIndicator: '2.5.29.27',
  issuingDistributionPoint: '2.5.29.28',
  certificateIssuer: '2.5.29.29',
  nameConstraints: '2.5.29.30',
  crlDistributionPoints: '2.5.29.31',
  certificatePolicies: '2.5.29.32',
  anyPolicy: '2.5.29.32.0',
  policyConstraints: '2.5.29.36',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  freshestCrl: '2.5.29.46',
  inhibitAnyPolicy: '2.5.29.54',
  authorityInfoAccess: '1.3.6.1.5.5.7.1.1',

  adOcsp: '1.3.6.1.5.5.7.48.1',
  adCaIssuers: '1.3.6.1.5.5.7.48.2',
  ocspBasic: '1.3.6.1.5.5.7.48.1.1',
  ocspNonce: '1.3.6.1.5.5.7.48.1.2',
  ocspNoCheck: '1.3.6.1.5.5.7.48.1.5',
  kpOcspSigning: '1.3.6.1.5.5.7.3.9',

  cmsData: '1.2.840.113549.1.7.1',
  cmsSignedData: '1.2.840.113549.1.7.2',
  pkcs9ContentType: '1.2.840.113549.1.9.3',
  pkcs9MessageDigest: '1.2.840.113549.1.9.4',
  pkcs9SigningTime: '1.2.840.113549.1.9.5',
  pkcs9ExtensionRequest: '1.2.840.113549.1.9.14',
} as const;

export type HashAlgorithmName = 'SHA-1' | 'SHA-256' | 'SHA-384' | 'SHA-512';

const HASH_BY_OID: Readonly<Record<string, HashAlgorithmName>> = {
  [Oid.sha1]: 'SHA-1',
  [Oid.sha256]: 'SHA-256',
  [Oid.sha384]: 'SHA-384',
  [Oid.sha512]: 'SHA-512',
};

const HASH_OID_BY_NAME = Object.fromEntries(Object.entries(HASH_BY_OID).map(([oid, name]) => [name, oid])) as Readonly<Record<HashAlgorithmName, string>>;

const RSA_SIGNATURE_HASH: Readonly<Record<string, HashAlgorithmName>> = {
  [Oid.sha1WithRsaEncryption]: 'SHA-1',
  [Oid.sha256WithRsaEncryption]: 'SHA-256',
  [Oid.sha384WithRsaEncryption]: 'SHA-384',
  [Oid.sha512WithRsaEncryption]: 'SHA-512',
};

export function hashAlgorithmFromOid(oid: string): HashAlgorithmName | undefined {
  return HASH_BY_OID[oid];
}

export function hashAlgorithmOid(name: HashAlgorithmName): string {
  return HASH_OID_BY_NAME[name];
}

/** Hash of an RSASSA-PKCS1-v1_5 signature algorithm OID, or undefined for anything else. */
export function rsaSignatureHash(signatureAlgorithmOid: string): HashAlgorithmName | undefined {
  return RSA_SIGNATURE_HASH[signatureAlgorithmOid];
}

const ECDSA_SIGNATURE_HASH: Readonly<Record<string, HashAlgorithmName>> = {
  [Oid.ecdsaWithSha256]: 'SHA-256',
  [Oid.ecdsaWithSha384]: 'SHA-384',
  [Oid.ecdsaWithSha512]: 'SHA-512',
};

/** Hash of an ECDSA signature algorithm OID (RFC 5758), or undefined for anything else. */
export function ecdsaSignatureHash(signatureAlgorithmOid: string): HashAlgorithmName | undefined {
  return ECDSA_SIGNATURE_HASH[signatureAlgorithmOid];
}

/** node:crypto digest name for a hash algorithm. */
export function nodeHashName(name: HashAlgorithmName): string {
  return name.replace('-', '').toLowerCase();
}
