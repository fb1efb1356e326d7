/**
 * CMS SignedData (RFC 5652) for identity proofing and e-applications: the My Number card's signing key signs an
 * application; the CA or a relying party verifies it. Attached or detached content, SHA-256, one signer with signed
 * attributes.
 */
import { createHash } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { arrayBuffer, asn1Der, derOf, parsePkijs } from '../asn1/pkijs-interop';
import { hashAlgorithmFromOid, nodeHashName, Oid, rsaSignatureHash, type HashAlgorithmName } from '../asn1/oids';
import { toDer } from '../encoding/pem';
import { verifyPkcs1Signature } from '../keys/signature-verification';
import type { Signer } from '../keys/signer';
import { decodedName, distinguishedNamesMatch } from '../names/distinguished-name';
import { decodeCertificate, type DecodedCertificate } from '../x509/certificate';
import { readCertificateExtensions } from '../x509/extension-view';

export interface SignCmsOptions {
  /** Default: now. */
  readonly signingTime?: Date;
  /** Extra certificates to embed after the signer's, e.g. the issuing CA. */
  readonly additionalCertificates?: readonly Buffer[];
  /** Leave the content out (a detached signature: the verifier is given the content separately). */
  readonly detached?: boolean;
}

/** SignedData (DER ContentInfo) over `content`, attached unless `detached`, signed through any Signer (card, HSM, software). */
export async function signCms(content: Buffer, signerCertificate: Buffer, signer: Signer, options: SignCmsOptions = {}): Promise<Buffer> {
  const certificate = decodeCertificate(signerCertificate);
  const attributes = signedAttributes(content, options.signingTime ?? new Date());
  // The signature covers the attributes as a DER SET OF; they travel as [0] IMPLICIT.
  const signature = await signer.sign(asn1Der(new asn1js.Set({ value: attributes.map((attribute) => attribute.toSchema()) })));
  const signerInfo = new pkijs.SignerInfo({
    version: 1,
    sid: new pkijs.IssuerAndSerialNumber({
      issuer: pkijs.RelativeDistinguishedNames.fromBER(certificate.tbs.issuer.raw),
      serialNumber: asn1js.Integer.fromBigInt(certificate.tbs.serialNumber),
    }),
    digestAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: Oid.sha256 }),
    signedAttrs: new pkijs.SignedAndUnsignedAttributes({ type: 0, attributes }),
    signatureAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: Oid.rsaEncryption, algorithmParams: new asn1js.Null() }),
    signature: new asn1js.OctetString({ valueHex: arrayBuffer(signature) }),
  });
  const encapContentInfo = new pkijs.EncapsulatedContentInfo({ eContentType: Oid.cmsData });
  // Assigned after construction: given to the constructor, pkijs re-cuts eContent into a constructed (BER) OCTET STRING.
  if (!options.detached) encapContentInfo.eContent = new asn1js.OctetString({ valueHex: arrayBuffer(content) });
  const signedData = new pkijs.SignedData({
    version: 1,
    digestAlgorithms: [new pkijs.AlgorithmIdentifier({ algorithmId: Oid.sha256 })],
    encapContentInfo,
    // DER SET OF: sorted by encoding.
    certificates: [signerCertificate, ...(options.additionalCertificates ?? [])].sort(Buffer.compare).map((der) => pkijs.Certificate.fromBER(der)),
    signerInfos: [signerInfo],
  });
  return derOf(new pkijs.ContentInfo({ contentType: Oid.cmsSignedData, content: signedData.toSchema() }));
}

/** contentType, signingTime and messageDigest, in DER SET OF order. */
function signedAttributes(content: Buffer, signingTime: Date): pkijs.Attribute[] {
  const attributes = [
    new pkijs.Attribute({ type: Oid.pkcs9ContentType, values: [new asn1js.ObjectIdentifier({ value: Oid.cmsData })] }),
    new pkijs.Attribute({ type: Oid.pkcs9SigningTime, values: [new asn1js.UTCTime({ valueDate: signingTime })] }),
    new pkijs.Attribute({ type: Oid.pkcs9MessageDigest, values: [new asn1js.OctetString({ valueHex: arrayBuffer(createHash('sha256').update(content).digest()) })] }),
  ];
  return attributes.sort((a, b) => Buffer.compare(derOf(a), derOf(b)));
}

export type CmsFailureReason =
  | 'CMS_MALFORMED'
  | 'CMS_NOT_SIGNED_DATA'
  | 'CMS_CONTENT_MISSING'
  | 'CMS_CONTENT_MISMATCH'
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
  /**
   * The content the signature must be over: required for detached SignedData; an attached SignedData must
   * encapsulate exactly these bytes (CMS_CONTENT_MISMATCH otherwise).
   */
  readonly content?: Buffer;
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

/** Verifies an attached (or detached, given its `content`) SignedData with exactly one signer. Never throws. */
export function verifyCms(input: Buffer | string, options: VerifyCmsOptions = {}): CmsVerification {
  let partial: { content?: Buffer; signerCertificate?: Buffer; signingTime?: Date } = {};
  try {
    const { encapContentInfo, signerInfos, certificates: embedded } = parseSignedData(toDer(input, 'CMS'));
    const certificates = (embedded ?? []).filter((certificate) => certificate instanceof pkijs.Certificate).map(derOf);
    const content = signedContent(encapContentInfo.eContent && Buffer.from(encapContentInfo.eContent.getValue()), options.content);
    partial = { content };
    if (signerInfos.length !== 1) throw new CmsFailure('CMS_SIGNER_COUNT', `${signerInfos.length} signers; exactly 1 expected`);
    const signerInfo = signerInfos[0];
    const signer = findSignerCertificate(signerInfo, certificates);
    partial = { content, signerCertificate: signer.raw };
    if (options.expectedSignerCertificate && !signer.raw.equals(options.expectedSignerCertificate)) {
      throw new CmsFailure('CMS_SIGNER_MISMATCH', 'SignedData was signed by another certificate than expected');
    }
    const signingTime = verifySignerInfo(signerInfo, signer, content, encapContentInfo.eContentType);
    return { signatureValid: true, content, signerCertificate: signer.raw, signingTime, certificates };
  } catch (error) {
    if (error instanceof CmsFailure) return { signatureValid: false, reason: error.reason, detail: error.message, ...partial };
    return { signatureValid: false, reason: 'CMS_MALFORMED', detail: (error as Error).message, ...partial };
  }
}

function signedContent(encapsulated: Buffer | undefined, given: Buffer | undefined): Buffer {
  if (encapsulated && given && !encapsulated.equals(given)) throw new CmsFailure('CMS_CONTENT_MISMATCH', 'the encapsulated content differs from the content given');
  const content = encapsulated ?? given;
  if (!content) throw new CmsFailure('CMS_CONTENT_MISSING', 'no encapsulated content and no detached content given');
  return content;
}

function parseSignedData(der: Buffer): pkijs.SignedData {
  const contentInfo = parsePkijs(pkijs.ContentInfo, der);
  if (contentInfo.contentType !== Oid.cmsSignedData) throw new CmsFailure('CMS_NOT_SIGNED_DATA', `content type ${contentInfo.contentType}`);
  return new pkijs.SignedData({ schema: contentInfo.content });
}

function findSignerCertificate(signerInfo: pkijs.SignerInfo, certificates: readonly Buffer[]): DecodedCertificate {
  const decoded = certificates.map((der) => decodeCertificate(der));
  const match = decoded.find((certificate) => identifiesSigner(signerInfo, certificate));
  if (!match) throw new CmsFailure('CMS_SIGNER_CERTIFICATE_MISSING', 'no embedded certificate matches the SignerIdentifier');
  return match;
}

function identifiesSigner({ sid }: pkijs.SignerInfo, certificate: DecodedCertificate): boolean {
  if (sid instanceof pkijs.IssuerAndSerialNumber) {
    return (
      sid.serialNumber.toBigInt() === certificate.tbs.serialNumber &&
      distinguishedNamesMatch(decodedName(sid.issuer), certificate.tbs.issuer)
    );
  }
  const keyIdentifier = Buffer.from((sid as asn1js.Primitive).valueBlock.valueHexView);
  return readCertificateExtensions(certificate.tbs.extensions).subjectKeyIdentifier?.equals(keyIdentifier) ?? false;
}

/** Checks digest and signature; returns the signingTime attribute if present. */
function verifySignerInfo(signerInfo: pkijs.SignerInfo, signer: DecodedCertificate, content: Buffer, contentType: string): Date | undefined {
  const digestAlgorithm = hashAlgorithmFromOid(signerInfo.digestAlgorithm.algorithmId);
  if (!digestAlgorithm || digestAlgorithm === 'SHA-1') throw new CmsFailure('CMS_DIGEST_ALGORITHM_UNSUPPORTED', `digest ${signerInfo.digestAlgorithm.algorithmId}`);
  checkSignatureAlgorithm(signerInfo.signatureAlgorithm.algorithmId, digestAlgorithm);
  const digest = createHash(nodeHashName(digestAlgorithm)).update(content).digest();
  let signedBytes = content;
  let signingTime: Date | undefined;
  if (signerInfo.signedAttrs) {
    signingTime = checkSignedAttributes(signerInfo.signedAttrs.attributes, digest, contentType);
    // Signed as the DER SET OF they were received as, not as the [0] IMPLICIT they travel in.
    signedBytes = Buffer.concat([Buffer.from([0x31]), Buffer.from(signerInfo.signedAttrs.encodedValue).subarray(1)]);
  } else if (contentType !== Oid.cmsData) {
    throw new CmsFailure('CMS_SIGNED_ATTRIBUTE_MISSING', 'signed attributes are mandatory for non-data content');
  }
  if (!verifyPkcs1Signature(signer.tbs.subjectPublicKeyInfo, digestAlgorithm, signedBytes, Buffer.from(signerInfo.signature.valueBlock.valueHexView))) {
    throw new CmsFailure('CMS_SIGNATURE_INVALID', 'signature does not verify with the signer certificate key');
  }
  return signingTime;
}

function checkSignatureAlgorithm(oid: string, digestAlgorithm: HashAlgorithmName): void {
  const hash = oid === Oid.rsaEncryption ? digestAlgorithm : rsaSignatureHash(oid);
  if (hash !== digestAlgorithm) throw new CmsFailure('CMS_SIGNATURE_ALGORITHM_UNSUPPORTED', `signature algorithm ${oid} with digest ${digestAlgorithm}`);
}

function checkSignedAttributes(attributes: readonly pkijs.Attribute[], contentDigest: Buffer, contentType: string): Date | undefined {
  const value = (oid: string): unknown => attributes.find((attribute) => attribute.type === oid)?.values[0];
  const typeValue = value(Oid.pkcs9ContentType);
  const digestValue = value(Oid.pkcs9MessageDigest);
  if (!typeValue || !digestValue) throw new CmsFailure('CMS_SIGNED_ATTRIBUTE_MISSING', 'content-type and message-digest attributes are required');
  if (!(typeValue instanceof asn1js.ObjectIdentifier) || !(digestValue instanceof asn1js.OctetString)) throw new Error('malformed content-type or message-digest attribute');
  if (typeValue.getValue() !== contentType) throw new CmsFailure('CMS_CONTENT_TYPE_MISMATCH', 'content-type attribute differs from eContentType');
  if (!Buffer.from(digestValue.getValue()).equals(contentDigest)) {
    throw new CmsFailure('CMS_MESSAGE_DIGEST_MISMATCH', 'message-digest attribute does not match the content');
  }
  const timeValue = value(Oid.pkcs9SigningTime);
  if (timeValue === undefined) return undefined;
  if (!(timeValue instanceof asn1js.UTCTime || timeValue instanceof asn1js.GeneralizedTime)) throw new Error('signing-time is not a Time');
  return timeValue.toDate();
}
