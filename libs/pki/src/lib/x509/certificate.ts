import {
  Asn1Error,
  decodeDer,
  readBitString,
  readInteger,
  readObjectIdentifier,
  readTime,
  sequenceChildren,
  SequenceReader,
  unwrapExplicit,
  type Asn1Node,
} from '../asn1/der-reader';
import { contextTag, Tag } from '../asn1/der-writer';
import { toDer } from '../encoding/pem';
import { decodeDistinguishedName, type DecodedName } from '../names/distinguished-name';
import { decodeExtensions, type X509Extension } from './extensions';

export interface AlgorithmIdentifierValue {
  readonly oid: string;
  /** Raw DER of the parameters, when present. */
  readonly parameters?: Buffer;
  readonly raw: Buffer;
}

export interface DecodedTbsCertificate {
  readonly raw: Buffer;
  /** 1, 2 or 3. */
  readonly version: number;
  readonly serialNumber: bigint;
  /** Content octets of the serialNumber INTEGER (for the 20-octet limit). */
  readonly serialNumberOctets: Buffer;
  readonly signatureAlgorithm: AlgorithmIdentifierValue;
  readonly issuer: DecodedName;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly subject: DecodedName;
  /** SubjectPublicKeyInfo DER. */
  readonly subjectPublicKeyInfo: Buffer;
  readonly extensions: readonly X509Extension[];
}

export interface DecodedCertificate {
  readonly raw: Buffer;
  readonly tbs: DecodedTbsCertificate;
  readonly signatureAlgorithm: AlgorithmIdentifierValue;
  readonly signature: Buffer;
}

export class CertificateFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CertificateFormatError';
  }
}

/** Decodes an X.509 certificate (DER or PEM); throws CertificateFormatError on anything malformed. */
export function decodeCertificate(input: Buffer | string): DecodedCertificate {
  const der = toDer(input, 'CERTIFICATE');
  const key = der.toString('latin1');
  const known = recentlyDecoded.get(key);
  if (known) return known;
  // Decoded from a copy: the result must not change if the caller reuses its buffer.
  const decoded = decodeCertificateDer(Buffer.from(der));
  if (recentlyDecoded.size >= RECENTLY_DECODED) recentlyDecoded.delete(recentlyDecoded.keys().next().value as string);
  recentlyDecoded.set(key, decoded);
  return decoded;
}

/**
 * Certificates decoded lately, by DER. A CA's or relying party's chain certificates are decoded on every request; the
 * results are immutable, so they are shared (the extension views hang off them, see readCertificateExtensions).
 */
const recentlyDecoded = new Map<string, DecodedCertificate>();
const RECENTLY_DECODED = 512;

function decodeCertificateDer(der: Buffer): DecodedCertificate {
  try {
    const root = decodeDer(der);
    const reader = SequenceReader.of(root, 'Certificate');
    const tbs = decodeTbsNode(reader.next('tbsCertificate'));
    const signatureAlgorithm = decodeAlgorithmIdentifier(reader.next('signatureAlgorithm'));
    const signature = readSignatureBits(reader.next('signatureValue'));
    reader.end();
    return { raw: root.raw, tbs, signatureAlgorithm, signature };
  } catch (error) {
    throw asFormatError(error);
  }
}

export function decodeTbsCertificate(input: Buffer): DecodedTbsCertificate {
  try {
    return decodeTbsNode(decodeDer(input));
  } catch (error) {
    throw asFormatError(error);
  }
}

/** True when the DER is a full Certificate rather than a bare TBSCertificate. */
export function isSignedCertificate(input: Buffer): boolean {
  try {
    const children = sequenceChildren(decodeDer(input), 'Certificate');
    return children.length === 3 && children[0].tag === Tag.SEQUENCE && children[2].tag === Tag.BIT_STRING;
  } catch {
    return false;
  }
}

function decodeTbsNode(node: Asn1Node): DecodedTbsCertificate {
  const reader = SequenceReader.of(node, 'TBSCertificate');
  const versionNode = reader.optional(contextTag(0, true));
  const version = versionNode ? Number(readInteger(unwrapExplicit(versionNode, 'version'), 'version')) + 1 : 1;
  const serialNode = reader.next('serialNumber');
  const serialNumber = readInteger(serialNode, 'serialNumber');
  const signatureAlgorithm = decodeAlgorithmIdentifier(reader.next('signature'));
  const issuer = decodeDistinguishedName(reader.next('issuer'));
  const [notBefore, notAfter] = decodeValidity(reader.next('validity'));
  const subject = decodeDistinguishedName(reader.next('subject'));
  const subjectPublicKeyInfo = reader.next('subjectPublicKeyInfo');
  sequenceChildren(subjectPublicKeyInfo, 'SubjectPublicKeyInfo');
  reader.optional(contextTag(1, false));
  reader.optional(contextTag(2, false));
  const extensionsNode = reader.optional(contextTag(3, true));
  reader.end();
  return {
    raw: node.raw,
    version,
    serialNumber,
    serialNumberOctets: serialNode.value,
    signatureAlgorithm,
    issuer,
    notBefore,
    notAfter,
    subject,
    subjectPublicKeyInfo: subjectPublicKeyInfo.raw,
    extensions: extensionsNode ? decodeExtensions(unwrapExplicit(extensionsNode, 'extensions')) : [],
  };
}

function decodeValidity(node: Asn1Node): [Date, Date] {
  const reader = SequenceReader.of(node, 'Validity');
  const notBefore = readTime(reader.next('notBefore'), 'notBefore');
  const notAfter = readTime(reader.next('notAfter'), 'notAfter');
  reader.end();
  return [notBefore, notAfter];
}

export function decodeAlgorithmIdentifier(node: Asn1Node): AlgorithmIdentifierValue {
  const reader = SequenceReader.of(node, 'AlgorithmIdentifier');
  const oid = readObjectIdentifier(reader.next('algorithm'), 'algorithm');
  const parametersNode = reader.optional(reader.peekTag() ?? -1);
  reader.end();
  return parametersNode ? { oid, parameters: parametersNode.raw, raw: node.raw } : { oid, raw: node.raw };
}

export function readSignatureBits(node: Asn1Node): Buffer {
  const { unusedBits, bytes } = readBitString(node, 'signatureValue');
  if (unusedBits !== 0) throw new Asn1Error('signature BIT STRING with unused bits');
  return bytes;
}

function asFormatError(error: unknown): Error {
  if (error instanceof Asn1Error) return new CertificateFormatError(`malformed certificate: ${error.message}`);
  return error instanceof Error ? error : new CertificateFormatError(String(error));
}
