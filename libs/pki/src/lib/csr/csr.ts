/** PKCS#10 (RFC 2986) certification requests: built through any Signer, verified with reason codes. */
import * as pkijs from 'pkijs';
import { derOf, parsePkijs, pkijsExtensions, pkijsTbs, signTbs, x509Extensions } from '../asn1/pkijs-interop';
import { ecdsaSignatureHash, Oid, rsaSignatureHash } from '../asn1/oids';
import { toDer } from '../encoding/pem';
import { describePublicKey, type PublicKeyDescription } from '../keys/rsa-keys';
import { verifySignature } from '../keys/signature-verification';
import { parseEcP256Spki, P256_CURVE } from '../keys/ec-keys';
import type { Signer } from '../keys/signer';
import {
  decodedName,
  encodeDistinguishedName,
  nameAttributeUpperBound,
  type DecodedName,
  type DistinguishedName,
  type NameAttributeType,
} from '../names/distinguished-name';
import type { ExtensionInput, X509Extension } from '../x509/extensions';

export interface BuildCsrOptions {
  readonly subject: DistinguishedName;
  /** Signs the CertificationRequestInfo: a software key, an HSM, or a SIM applet via createDigestInfoSigner. */
  readonly signer: Signer;
  /** Defaults to the signer's key. */
  readonly subjectPublicKeyInfo?: Buffer;
  readonly requestedExtensions?: readonly ExtensionInput[];
}

export async function buildCsr(options: BuildCsrOptions): Promise<Buffer> {
  const extensions = options.requestedExtensions ?? [];
  const csr = new pkijs.CertificationRequest({
    subject: pkijs.RelativeDistinguishedNames.fromBER(encodeDistinguishedName(options.subject)),
    subjectPublicKeyInfo: pkijs.PublicKeyInfo.fromBER(options.subjectPublicKeyInfo ?? options.signer.publicKeySpki),
    // RFC 2986: the attributes [0] is present even when empty.
    attributes:
      extensions.length === 0
        ? []
        : [new pkijs.Attribute({ type: Oid.pkcs9ExtensionRequest, values: [pkijsExtensions(extensions).toSchema()] })],
  });
  return signTbs(pkijsTbs(csr), options.signer);
}

export type CsrRejectionReason =
  | 'CSR_MALFORMED'
  | 'CSR_VERSION_UNSUPPORTED'
  | 'CSR_SIGNATURE_ALGORITHM_UNSUPPORTED'
  | 'CSR_SIGNATURE_INVALID'
  | 'KEY_ALGORITHM_UNSUPPORTED'
  | 'KEY_CURVE_UNSUPPORTED'
  | 'KEY_TOO_SMALL'
  | 'KEY_EXPONENT_UNSUPPORTED'
  | 'SUBJECT_EMPTY'
  | 'SUBJECT_TOO_LONG'
  | 'SUBJECT_ATTRIBUTE_UNSUPPORTED';

export class CsrError extends Error {
  constructor(
    readonly reason: CsrRejectionReason,
    message: string,
  ) {
    super(message);
    this.name = 'CsrError';
  }
}

/** `RSA`: RSA (size and exponent below); `EC-P256`: id-ecPublicKey on prime256v1, uncompressed point. */
export type CsrKeyAlgorithm = 'RSA' | 'EC-P256';

export interface CsrPolicy {
  /**
   * Key algorithms accepted; default `['RSA']` (every JPKI key). An iPhone Secure Enclave key is
   * `['EC-P256']` (ECDSA-with-SHA256 signature). Anything else: KEY_ALGORITHM_UNSUPPORTED / KEY_CURVE_UNSUPPORTED.
   */
  readonly keyAlgorithms?: readonly CsrKeyAlgorithm[];
  /** Default 2048. */
  readonly minimumRsaBits?: number;
  /** Subject attribute types accepted; default any known type. */
  readonly allowedSubjectAttributes?: readonly NameAttributeType[];
}

export interface VerifiedCsr {
  readonly raw: Buffer;
  readonly subject: DecodedName;
  readonly subjectPublicKeyInfo: Buffer;
  readonly publicKey: PublicKeyDescription;
  readonly signatureAlgorithmOid: string;
  readonly requestedExtensions: readonly X509Extension[];
}

type DecodedCsr = Omit<VerifiedCsr, 'publicKey'> & { readonly requestInfo: Buffer; readonly version: number; readonly signature: Buffer };

/** Parses and verifies a CSR (DER or PEM); throws CsrError with a machine-readable reason. */
export function verifyCsr(input: Buffer | string, policy: CsrPolicy = {}): VerifiedCsr {
  const { requestInfo, version, signature, ...csr } = decodeCsr(input);
  if (version !== 0) throw new CsrError('CSR_VERSION_UNSUPPORTED', `CSR version ${version}`);
  const publicKey = checkPublicKey(csr.subjectPublicKeyInfo, policy);
  checkSignatureAlgorithm(csr.signatureAlgorithmOid, publicKey);
  if (!verifySignature({ publicKeySpki: csr.subjectPublicKeyInfo, signatureAlgorithmOid: csr.signatureAlgorithmOid, data: requestInfo, signature })) {
    throw new CsrError('CSR_SIGNATURE_INVALID', 'CSR signature does not verify with its own key');
  }
  checkKeyStrength(publicKey, policy);
  checkSubject(csr.subject, policy);
  return { ...csr, publicKey };
}

function decodeCsr(input: Buffer | string): DecodedCsr {
  try {
    const raw = toDer(input, 'CERTIFICATE REQUEST');
    const csr = parsePkijs(pkijs.CertificationRequest, raw);
    return {
      raw,
      requestInfo: Buffer.from(csr.tbsView),
      version: csr.version,
      subject: decodedName(csr.subject),
      subjectPublicKeyInfo: derOf(csr.subjectPublicKeyInfo),
      requestedExtensions: requestedExtensions(csr.attributes ?? []),
      signatureAlgorithmOid: csr.signatureAlgorithm.algorithmId,
      signature: Buffer.from(csr.signatureValue.valueBlock.valueHexView),
    };
  } catch (error) {
    throw new CsrError('CSR_MALFORMED', `malformed CSR: ${(error as Error).message}`);
  }
}

function requestedExtensions(attributes: readonly pkijs.Attribute[]): X509Extension[] {
  const request = attributes.find((attribute) => attribute.type === Oid.pkcs9ExtensionRequest);
  if (!request) return [];
  if (request.values.length !== 1) throw new Error('extensionRequest must hold one Extensions value');
  return x509Extensions(new pkijs.Extensions({ schema: request.values[0] }).extensions);
}

function checkPublicKey(spki: Buffer, policy: CsrPolicy): PublicKeyDescription {
  let description: PublicKeyDescription;
  try {
    description = describePublicKey(spki);
  } catch (error) {
    throw new CsrError('CSR_MALFORMED', (error as Error).message);
  }
  const accepted = policy.keyAlgorithms ?? ['RSA'];
  if (description.algorithm === 'EC' && accepted.includes('EC-P256')) {
    if (description.namedCurve !== P256_CURVE) throw new CsrError('KEY_CURVE_UNSUPPORTED', `EC curve ${description.namedCurve ?? 'explicit'}; only P-256 is accepted`);
    try {
      parseEcP256Spki(spki);
    } catch (error) {
      throw new CsrError('KEY_CURVE_UNSUPPORTED', (error as Error).message);
    }
    return description;
  }
  if (description.algorithm !== 'RSA' || !accepted.includes('RSA')) {
    const names = accepted.map((a) => (a === 'EC-P256' ? 'EC P-256' : a)).join(' or ');
    throw new CsrError('KEY_ALGORITHM_UNSUPPORTED', `key type ${description.keyType}${description.namedCurve ? ` (${description.namedCurve})` : ''}; only ${names} is accepted`);
  }
  return description;
}

/** RSA keys sign with sha{256,384,512}WithRSAEncryption, P-256 keys with ecdsa-with-SHA256 only. */
function checkSignatureAlgorithm(oid: string, key: PublicKeyDescription): void {
  const fits =
    key.algorithm === 'EC' ? ecdsaSignatureHash(oid) === 'SHA-256' : !!rsaSignatureHash(oid) && oid !== Oid.sha1WithRsaEncryption;
  if (!fits) throw new CsrError('CSR_SIGNATURE_ALGORITHM_UNSUPPORTED', `signature algorithm ${oid} for a ${key.algorithm} key`);
}

function checkKeyStrength(key: PublicKeyDescription, policy: CsrPolicy): void {
  if (key.algorithm === 'EC') return;
  const minimumBits = policy.minimumRsaBits ?? 2048;
  if ((key.modulusBits ?? 0) < minimumBits) {
    throw new CsrError('KEY_TOO_SMALL', `RSA key is ${key.modulusBits} bits; at least ${minimumBits} required`);
  }
  if (key.publicExponent !== 65537n) {
    throw new CsrError('KEY_EXPONENT_UNSUPPORTED', `RSA public exponent ${key.publicExponent}; 65537 required`);
  }
}

function checkSubject(subject: DecodedName, policy: CsrPolicy): void {
  if (subject.attributes.length === 0) throw new CsrError('SUBJECT_EMPTY', 'CSR subject is empty');
  for (const { type, value } of subject.attributes) {
    const bound = nameAttributeUpperBound(type);
    if (bound === undefined || (policy.allowedSubjectAttributes && !policy.allowedSubjectAttributes.includes(type as NameAttributeType))) {
      throw new CsrError('SUBJECT_ATTRIBUTE_UNSUPPORTED', `subject attribute ${type} is not accepted`);
    }
    if ([...value].length > bound) throw new CsrError('SUBJECT_TOO_LONG', `${type} is ${[...value].length} characters (max ${bound})`);
  }
}
