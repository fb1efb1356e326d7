/**
 * CMS SignedData (RFC 5652) for identity proofing: the My Number card's signing key signs an
 * application; the CA verifies it. Attached content, SHA-256, one signer with signed attributes.
 */
import { createHash } from 'node:crypto';
import {
  Asn1Error,
  childrenOf,
  decodeDer,
  expectTag,
  readInteger,
  readObjectIdentifier,
  readOctetString,
  readTime,
  sequenceChildren,
  SequenceReader,
  unwrapExplicit,
  type Asn1Node,
} from '../asn1/der-reader';
import {
  algorithmIdentifier,
  contextTag,
  explicit,
  integer,
  nullValue,
  objectIdentifier,
  octetString,
  sequence,
  setOf,
  Tag,
  tlv,
  utcTime,
} from '../asn1/der-writer';
import { hashAlgorithmFromOid, nodeHashName, Oid, rsaSignatureHash, type HashAlgorithmName } from '../asn1/oids';
import { toDer } from '../encoding/pem';
import { verifyPkcs1Signature } from '../keys/signature-verification';
import type { Signer } from '../keys/signer';
import { distinguishedNamesMatch, decodeDistinguishedName } from '../names/distinguished-name';
import { decodeAlgorithmIdentifier, decodeCertificate, type DecodedCertificate } from '../x509/certificate';
import { readCertificateExtensions } from '../x509/extension-view';

export interface SignCmsOptions {
  /** Default: now. */
  readonly signingTime?: Date;
  /** Extra certificates to embed after the signer's, e.g. the issuing CA. */
  readonly additionalCertificates?: readonly Buffer[];
}

/** Attached SignedData (DER ContentInfo) over `content`, signed through any Signer (card, HSM, software). */
export async function signCms(content: Buffer, signerCertificate: Buffer, signer: Signer, options: SignCmsOptions = {}): Promise<Buffer> {
  const certificate = decodeCertificate(signerCertificate);
  const signedAttributes = encodeSignedAttributes(content, options.signingTime ?? new Date());
  // The signature covers the attributes as a DER SET OF; they travel as [0] IMPLICIT.
  const signature = await signer.sign(tlv(Tag.SET, signedAttributes));
  const signerInfo = sequence(
    integer(1),
    sequence(certificate.tbs.issuer.raw, integer(certificate.tbs.serialNumber)),
    algorithmIdentifier(Oid.sha256),
    tlv(contextTag(0, true), signedAttributes),
    algorithmIdentifier(Oid.rsaEncryption, nullValue()),
    octetString(signature),
  );
  const certificates = [signerCertificate, ...(options.additionalCertificates ?? [])].sort(Buffer.compare);
  const signedData = sequence(
    integer(1),
    setOf(algorithmIdentifier(Oid.sha256)),
    sequence(objectIdentifier(Oid.cmsData), explicit(0, octetString(content))),
    tlv(contextTag(0, true), Buffer.concat(certificates)),
    setOf(signerInfo),
  );
  return sequence(objectIdentifier(Oid.cmsSignedData), explicit(0, signedData));
}

function encodeSignedAttributes(content: Buffer, signingTime: Date): Buffer {
  const attributes = [
    attribute(Oid.pkcs9ContentType, objectIdentifier(Oid.cmsData)),
    attribute(Oid.pkcs9SigningTime, utcTime(signingTime)),
    attribute(Oid.pkcs9MessageDigest, octetString(createHash('sha256').update(content).digest())),
  ];
  return Buffer.concat(attributes.sort(Buffer.compare));
}

function attribute(oid: string, value: Buffer): Buffer {
  return sequence(objectIdentifier(oid), setOf(value));
}

export type CmsFailureReason =
  | 'CMS_MALFORMED'
  | 'CMS_NOT_SIGNED_DATA'
  | 'CMS_CONTENT_MISSING'
  | 'CMS_SIGNER_COUNT'
  | 'CMS_SIGNER_CERTIFICATE_MISSING'
  | 'CMS_SIGNER_MISMATCH'
  | 'CMS_DIGEST_ALGORITHM_UNSUPPORTED'
  | 'CMS_SIGNATURE_ALGORITHM_UNSUPPORTED'
  | 'CMS_SIGNED_ATTRIBUTE_MISSING'
  | 'CMS_CONTENT_TYPE_MISMATCH'
  | 'CMS_MESSAGE_DIGEST_MISMATCH'
  | 'CMS_SIGNATURE_INVALID';

export type CmsVerification =
  | {
      readonly signatureValid: true;
      readonly content: Buffer;
      readonly signerCertificate: Buffer;
      /** From the signingTime attribute: claimed by the signer, not trusted time. */
      readonly signingTime?: Date;
      readonly certificates: readonly Buffer[];
    }
  | {
      readonly signatureValid: false;
      readonly reason: CmsFailureReason;
      readonly detail: string;
      readonly content?: Buffer;
      readonly signerCertificate?: Buffer;
      readonly signingTime?: Date;
    };

export interface VerifyCmsOptions {
  /** For detached SignedData. */
  readonly detachedContent?: Buffer;
  /** When set, the signer must be exactly this certificate. */
  readonly expectedSignerCertificate?: Buffer;
}

class CmsFailure extends Error {
  constructor(
    readonly reason: CmsFailureReason,
    message: string,
  ) {
    super(message);
  }
}

interface ParsedSignerInfo {
  readonly issuer?: Asn1Node;
  readonly serialNumber?: bigint;
  readonly subjectKeyIdentifier?: Buffer;
  readonly digestAlgorithm: HashAlgorithmName | undefined;
  readonly digestAlgorithmOid: string;
  readonly signedAttributes?: Asn1Node;
  readonly signatureAlgorithmOid: string;
  readonly signature: Buffer;
}

interface ParsedSignedData {
  readonly contentType: string;
  readonly content?: Buffer;
  readonly certificates: readonly Buffer[];
  readonly signerInfos: readonly ParsedSignerInfo[];
}

/** Verifies an attached (or detached, with `detachedContent`) SignedData with exactly one signer. Never throws. */
export function verifyCms(input: Buffer | string, options: VerifyCmsOptions = {}): CmsVerification {
  let partial: { content?: Buffer; signerCertificate?: Buffer; signingTime?: Date } = {};
  try {
    const signedData = parseSignedData(toDer(input, 'CMS'));
    const content = signedData.content ?? options.detachedContent;
    if (!content) throw new CmsFailure('CMS_CONTENT_MISSING', 'no encapsulated content and no detached content given');
    partial = { content };
    if (signedData.signerInfos.length !== 1) throw new CmsFailure('CMS_SIGNER_COUNT', `${signedData.signerInfos.length} signers; exactly 1 expected`);
    const signerInfo = signedData.signerInfos[0];
    const signer = findSignerCertificate(signerInfo, signedData.certificates);
    partial = { content, signerCertificate: signer.raw };
    if (options.expectedSignerCertificate && !signer.raw.equals(options.expectedSignerCertificate)) {
      throw new CmsFailure('CMS_SIGNER_MISMATCH', 'SignedData was signed by another certificate than expected');
    }
    const signingTime = verifySignerInfo(signerInfo, signer, content, signedData.contentType);
    return { signatureValid: true, content, signerCertificate: signer.raw, signingTime, certificates: signedData.certificates };
  } catch (error) {
    if (error instanceof CmsFailure) return { signatureValid: false, reason: error.reason, detail: error.message, ...partial };
    return { signatureValid: false, reason: 'CMS_MALFORMED', detail: (error as Error).message, ...partial };
  }
}

function parseSignedData(der: Buffer): ParsedSignedData {
  const contentInfo = SequenceReader.of(decodeDer(der), 'ContentInfo');
  const contentType = readObjectIdentifier(contentInfo.next('contentType'), 'contentType');
  if (contentType !== Oid.cmsSignedData) throw new CmsFailure('CMS_NOT_SIGNED_DATA', `content type ${contentType}`);
  const reader = SequenceReader.of(unwrapExplicit(contentInfo.next('content'), 'content'), 'SignedData');
  contentInfo.end();
  readInteger(reader.next('version'), 'version');
  expectTag(reader.next('digestAlgorithms'), Tag.SET, 'digestAlgorithms');
  const encapsulated = parseEncapsulatedContent(reader.next('encapContentInfo'));
  const certificatesNode = reader.optional(contextTag(0, true));
  reader.optional(contextTag(1, true));
  const signerInfos = childrenOf(expectTag(reader.next('signerInfos'), Tag.SET, 'signerInfos')).map(parseSignerInfo);
  reader.end();
  const certificates = certificatesNode ? childrenOf(certificatesNode).filter((node) => node.tag === Tag.SEQUENCE).map((node) => node.raw) : [];
  return { ...encapsulated, certificates, signerInfos };
}

function parseEncapsulatedContent(node: Asn1Node): Pick<ParsedSignedData, 'contentType' | 'content'> {
  const reader = SequenceReader.of(node, 'EncapsulatedContentInfo');
  const contentType = readObjectIdentifier(reader.next('eContentType'), 'eContentType');
  const contentNode = reader.optional(contextTag(0, true));
  reader.end();
  return { contentType, content: contentNode && readOctetString(unwrapExplicit(contentNode, 'eContent'), 'eContent') };
}

function parseSignerInfo(node: Asn1Node): ParsedSignerInfo {
  const reader = SequenceReader.of(node, 'SignerInfo');
  readInteger(reader.next('version'), 'version');
  const sid = reader.next('sid');
  const digestAlgorithmOid = decodeAlgorithmIdentifier(reader.next('digestAlgorithm')).oid;
  const signedAttributes = reader.optional(contextTag(0, true));
  const signatureAlgorithmOid = decodeAlgorithmIdentifier(reader.next('signatureAlgorithm')).oid;
  const signature = readOctetString(reader.next('signature'), 'signature');
  reader.optional(contextTag(1, true));
  reader.end();
  return { ...parseSignerIdentifier(sid), digestAlgorithm: hashAlgorithmFromOid(digestAlgorithmOid), digestAlgorithmOid, signedAttributes, signatureAlgorithmOid, signature };
}

function parseSignerIdentifier(sid: Asn1Node): Pick<ParsedSignerInfo, 'issuer' | 'serialNumber' | 'subjectKeyIdentifier'> {
  if (sid.tag === contextTag(0, false)) return { subjectKeyIdentifier: sid.value };
  const [issuer, serial] = sequenceChildren(sid, 'IssuerAndSerialNumber');
  if (!issuer || !serial) throw new Asn1Error('IssuerAndSerialNumber: missing member');
  return { issuer, serialNumber: readInteger(serial, 'serialNumber') };
}

function findSignerCertificate(signerInfo: ParsedSignerInfo, certificates: readonly Buffer[]): DecodedCertificate {
  const decoded = certificates.map((der) => decodeCertificate(der));
  const match = decoded.find((certificate) => identifiesSigner(signerInfo, certificate));
  if (!match) throw new CmsFailure('CMS_SIGNER_CERTIFICATE_MISSING', 'no embedded certificate matches the SignerIdentifier');
  return match;
}

function identifiesSigner(signerInfo: ParsedSignerInfo, certificate: DecodedCertificate): boolean {
  if (signerInfo.subjectKeyIdentifier) {
    return readCertificateExtensions(certificate.tbs.extensions).subjectKeyIdentifier?.equals(signerInfo.subjectKeyIdentifier) ?? false;
  }
  return (
    signerInfo.serialNumber === certificate.tbs.serialNumber &&
    signerInfo.issuer !== undefined &&
    distinguishedNamesMatch(decodeDistinguishedName(signerInfo.issuer), certificate.tbs.issuer)
  );
}

/** Checks digest and signature; returns the signingTime attribute if present. */
function verifySignerInfo(signerInfo: ParsedSignerInfo, signer: DecodedCertificate, content: Buffer, contentType: string): Date | undefined {
  const digestAlgorithm = signerInfo.digestAlgorithm;
  if (!digestAlgorithm || digestAlgorithm === 'SHA-1') throw new CmsFailure('CMS_DIGEST_ALGORITHM_UNSUPPORTED', `digest ${signerInfo.digestAlgorithmOid}`);
  checkSignatureAlgorithm(signerInfo.signatureAlgorithmOid, digestAlgorithm);
  const digest = createHash(nodeHashName(digestAlgorithm)).update(content).digest();
  let signedBytes = content;
  let signingTime: Date | undefined;
  if (signerInfo.signedAttributes) {
    signingTime = checkSignedAttributes(signerInfo.signedAttributes, digest, contentType);
    signedBytes = Buffer.concat([Buffer.from([Tag.SET]), signerInfo.signedAttributes.raw.subarray(1)]);
  } else if (contentType !== Oid.cmsData) {
    throw new CmsFailure('CMS_SIGNED_ATTRIBUTE_MISSING', 'signed attributes are mandatory for non-data content');
  }
  if (!verifyPkcs1Signature(signer.tbs.subjectPublicKeyInfo, digestAlgorithm, signedBytes, signerInfo.signature)) {
    throw new CmsFailure('CMS_SIGNATURE_INVALID', 'signature does not verify with the signer certificate key');
  }
  return signingTime;
}

function checkSignatureAlgorithm(oid: string, digestAlgorithm: HashAlgorithmName): void {
  const hash = oid === Oid.rsaEncryption ? digestAlgorithm : rsaSignatureHash(oid);
  if (hash !== digestAlgorithm) throw new CmsFailure('CMS_SIGNATURE_ALGORITHM_UNSUPPORTED', `signature algorithm ${oid} with digest ${digestAlgorithm}`);
}

function checkSignedAttributes(node: Asn1Node, contentDigest: Buffer, contentType: string): Date | undefined {
  const attributes = new Map<string, Asn1Node[]>();
  for (const attributeNode of childrenOf(node)) {
    const [typeNode, valuesNode] = sequenceChildren(attributeNode, 'Attribute');
    attributes.set(readObjectIdentifier(typeNode, 'attrType'), childrenOf(expectTag(valuesNode, Tag.SET, 'attrValues')));
  }
  const [typeValue] = attributes.get(Oid.pkcs9ContentType) ?? [];
  const [digestValue] = attributes.get(Oid.pkcs9MessageDigest) ?? [];
  if (!typeValue || !digestValue) throw new CmsFailure('CMS_SIGNED_ATTRIBUTE_MISSING', 'content-type and message-digest attributes are required');
  if (readObjectIdentifier(typeValue, 'content-type') !== contentType) throw new CmsFailure('CMS_CONTENT_TYPE_MISMATCH', 'content-type attribute differs from eContentType');
  if (!readOctetString(digestValue, 'message-digest').equals(contentDigest)) {
    throw new CmsFailure('CMS_MESSAGE_DIGEST_MISMATCH', 'message-digest attribute does not match the content');
  }
  const [timeValue] = attributes.get(Oid.pkcs9SigningTime) ?? [];
  return timeValue && readTime(timeValue, 'signing-time');
}
