/** RFC 6960 client side: parse and verify an OCSP response for one certificate. */
import {
  Asn1Error,
  childrenOf,
  decodeDer,
  readEnumerated,
  readGeneralizedTime,
  readInteger,
  readObjectIdentifier,
  readOctetString,
  sequenceChildren,
  SequenceReader,
  unwrapExplicit,
  type Asn1Node,
} from '../asn1/der-reader';
import { contextTag } from '../asn1/der-writer';
import { Oid, rsaSignatureHash } from '../asn1/oids';
import { verifyRsaSignature } from '../keys/signature-verification';
import { decodeDistinguishedName, distinguishedNamesMatch, type DecodedName } from '../names/distinguished-name';
import { revocationReasonName, type CertificateStatus } from '../revocation/revocation-reason';
import { decodeAlgorithmIdentifier, decodeCertificate, readSignatureBits, type DecodedCertificate } from '../x509/certificate';
import { readCertificateExtensions } from '../x509/extension-view';
import { decodeExtensions, findExtension, type X509Extension } from '../x509/extensions';
import { certIdMatchesIssuer, decodeCertId, type CertId } from './cert-id';
import { OCSP_RESPONSE_STATUS, responderKeyHash, type OcspResponseStatus } from './ocsp-response';

export type OcspVerificationFailure =
  | 'OCSP_RESPONSE_MALFORMED'
  | 'OCSP_RESPONSE_UNSUCCESSFUL'
  | 'OCSP_RESPONSE_TYPE_UNSUPPORTED'
  | 'OCSP_SIGNATURE_ALGORITHM_UNSUPPORTED'
  | 'OCSP_RESPONDER_NOT_FOUND'
  | 'OCSP_RESPONDER_UNAUTHORIZED'
  | 'OCSP_SIGNATURE_INVALID'
  | 'OCSP_CERT_STATUS_MISSING'
  | 'OCSP_NONCE_MISSING'
  | 'OCSP_NONCE_MISMATCH'
  | 'OCSP_RESPONSE_NOT_YET_VALID'
  | 'OCSP_RESPONSE_EXPIRED';

export type OcspVerificationResult =
  | {
      readonly ok: true;
      readonly certificateStatus: CertificateStatus;
      readonly producedAt: Date;
      readonly thisUpdate: Date;
      readonly nextUpdate?: Date;
      /** The certificate whose key signed the response. */
      readonly responderCertificate: Buffer;
    }
  | {
      readonly ok: false;
      readonly reason: OcspVerificationFailure;
      readonly detail: string;
      /** For OCSP_RESPONSE_UNSUCCESSFUL: what the responder said. */
      readonly responseStatus?: OcspResponseStatus;
    };

export interface VerifyOcspResponseOptions {
  readonly response: Buffer;
  /** The certificate whose status was asked. */
  readonly certificate: Buffer;
  readonly issuerCertificate: Buffer;
  /** The nonce extnValue sent in the request; when given the response must echo it. */
  readonly nonce?: Buffer;
  readonly at?: Date;
  /** Tolerated clock difference; default 5 minutes. */
  readonly clockSkewMs?: number;
  /** Without nextUpdate, responses older than this are stale; default 1 hour. */
  readonly maxAgeMs?: number;
  /** Locally trusted responders (RFC 6960 §4.2.2.2 case 1). */
  readonly trustedResponders?: readonly Buffer[];
}

interface SingleResponse {
  readonly certId: CertId;
  readonly status: CertificateStatus;
  readonly thisUpdate: Date;
  readonly nextUpdate?: Date;
}

interface BasicResponse {
  readonly tbs: Buffer;
  readonly responderName?: DecodedName;
  readonly responderKeyHash?: Buffer;
  readonly producedAt: Date;
  readonly responses: readonly SingleResponse[];
  readonly extensions: readonly X509Extension[];
  readonly signatureAlgorithmOid: string;
  readonly signature: Buffer;
  readonly certificates: readonly Buffer[];
}

class Failure extends Error {
  constructor(
    readonly reason: OcspVerificationFailure,
    message: string,
    readonly responseStatus?: OcspResponseStatus,
  ) {
    super(message);
  }
}

const DEFAULT_SKEW_MS = 5 * 60_000;
const DEFAULT_MAX_AGE_MS = 60 * 60_000;
const RESPONSE_STATUS_NAMES = new Map(Object.entries(OCSP_RESPONSE_STATUS).map(([name, code]) => [code as number, name as OcspResponseStatus]));

/** Verifies signature, responder authorisation, CertID, nonce and freshness; never throws. */
export function verifyOcspResponse(options: VerifyOcspResponseOptions): OcspVerificationResult {
  try {
    return verifyOrThrow(options);
  } catch (error) {
    if (error instanceof Failure) return { ok: false, reason: error.reason, detail: error.message, responseStatus: error.responseStatus };
    return { ok: false, reason: 'OCSP_RESPONSE_MALFORMED', detail: (error as Error).message };
  }
}

function verifyOrThrow(options: VerifyOcspResponseOptions): OcspVerificationResult {
  const at = options.at ?? new Date();
  const basic = decodeOcspResponse(options.response);
  const responderCertificate = authorisedResponder(basic, options, at);
  checkSignature(basic, responderCertificate);
  const single = basic.responses.find((candidate) => describesCertificate(candidate.certId, options));
  if (!single) throw new Failure('OCSP_CERT_STATUS_MISSING', 'no SingleResponse for the certificate');
  checkNonce(basic, options.nonce);
  checkFreshness(single, at, options);
  return {
    ok: true,
    certificateStatus: single.status,
    producedAt: basic.producedAt,
    thisUpdate: single.thisUpdate,
    nextUpdate: single.nextUpdate,
    responderCertificate: responderCertificate.raw,
  };
}

function decodeOcspResponse(der: Buffer): BasicResponse {
  const reader = SequenceReader.of(decodeDer(der), 'OCSPResponse');
  const statusCode = readEnumerated(reader.next('responseStatus'), 'responseStatus');
  const responseBytes = reader.optional(contextTag(0, true));
  reader.end();
  const status = RESPONSE_STATUS_NAMES.get(statusCode);
  if (status !== 'successful') throw new Failure('OCSP_RESPONSE_UNSUCCESSFUL', `responder answered ${status ?? statusCode}`, status);
  if (!responseBytes) throw new Asn1Error('successful response without responseBytes');
  const [typeNode, responseNode] = sequenceChildren(unwrapExplicit(responseBytes, 'responseBytes'), 'ResponseBytes');
  const responseType = readObjectIdentifier(typeNode, 'responseType');
  if (responseType !== Oid.ocspBasic) throw new Failure('OCSP_RESPONSE_TYPE_UNSUPPORTED', `response type ${responseType}`);
  return decodeBasicResponse(decodeDer(readOctetString(responseNode, 'response')));
}

function decodeBasicResponse(node: Asn1Node): BasicResponse {
  const reader = SequenceReader.of(node, 'BasicOCSPResponse');
  const tbsNode = reader.next('tbsResponseData');
  const signatureAlgorithmOid = decodeAlgorithmIdentifier(reader.next('signatureAlgorithm')).oid;
  const signature = readSignatureBits(reader.next('signature'));
  const certsNode = reader.optional(contextTag(0, true));
  reader.end();
  const certificates = certsNode ? sequenceChildren(unwrapExplicit(certsNode, 'certs'), 'certs').map((cert) => cert.raw) : [];
  return { tbs: tbsNode.raw, ...decodeResponseData(tbsNode), signatureAlgorithmOid, signature, certificates };
}

function decodeResponseData(node: Asn1Node): Pick<BasicResponse, 'responderName' | 'responderKeyHash' | 'producedAt' | 'responses' | 'extensions'> {
  const reader = SequenceReader.of(node, 'ResponseData');
  const version = reader.optional(contextTag(0, true));
  if (version && readInteger(unwrapExplicit(version, 'version')) !== 0n) throw new Asn1Error('unsupported ResponseData version');
  const responderNode = reader.next('responderID');
  const producedAt = readGeneralizedTime(reader.next('producedAt'), 'producedAt');
  const responses = sequenceChildren(reader.next('responses'), 'responses').map(decodeSingleResponse);
  const extensionsNode = reader.optional(contextTag(1, true));
  reader.end();
  const extensions = extensionsNode ? decodeExtensions(unwrapExplicit(extensionsNode, 'responseExtensions')) : [];
  return { ...decodeResponderId(responderNode), producedAt, responses, extensions };
}

function decodeResponderId(node: Asn1Node): Pick<BasicResponse, 'responderName' | 'responderKeyHash'> {
  if (node.tag === contextTag(1, true)) return { responderName: decodeDistinguishedName(unwrapExplicit(node, 'byName')) };
  if (node.tag === contextTag(2, true)) return { responderKeyHash: readOctetString(unwrapExplicit(node, 'byKey'), 'byKey') };
  throw new Asn1Error('ResponderID must be byName [1] or byKey [2]');
}

function decodeSingleResponse(node: Asn1Node): SingleResponse {
  const reader = SequenceReader.of(node, 'SingleResponse');
  const certId = decodeCertId(reader.next('certID'));
  const status = decodeCertStatus(reader.next('certStatus'));
  const thisUpdate = readGeneralizedTime(reader.next('thisUpdate'), 'thisUpdate');
  const nextUpdateNode = reader.optional(contextTag(0, true));
  reader.optional(contextTag(1, true));
  reader.end();
  const nextUpdate = nextUpdateNode && readGeneralizedTime(unwrapExplicit(nextUpdateNode, 'nextUpdate'), 'nextUpdate');
  return { certId, status, thisUpdate, nextUpdate };
}

function decodeCertStatus(node: Asn1Node): CertificateStatus {
  if (node.tag === contextTag(0, false) && node.value.length === 0) return { status: 'good' };
  if (node.tag === contextTag(2, false) && node.value.length === 0) return { status: 'unknown' };
  if (node.tag !== contextTag(1, true)) throw new Asn1Error('unknown CertStatus choice');
  const [timeNode, reasonNode, ...rest] = childrenOf(node);
  if (!timeNode || rest.length > 0 || (reasonNode && reasonNode.tag !== contextTag(0, true))) throw new Asn1Error('malformed RevokedInfo');
  const code = reasonNode ? readEnumerated(unwrapExplicit(reasonNode, 'revocationReason')) : 0;
  const reason = revocationReasonName(code);
  if (!reason) throw new Asn1Error(`undefined revocation reason ${code}`);
  return { status: 'revoked', revocationTime: readGeneralizedTime(timeNode, 'revocationTime'), reason };
}

/** RFC 6960 §4.2.2.2: the CA itself, a locally trusted responder, or a CA-issued id-kp-OCSPSigning certificate. */
function authorisedResponder(basic: BasicResponse, options: VerifyOcspResponseOptions, at: Date): DecodedCertificate {
  const issuer = decodeCertificate(options.issuerCertificate);
  const trusted = (options.trustedResponders ?? []).map((der) => decodeCertificate(der));
  const candidates = [issuer, ...trusted, ...basic.certificates.map((der) => decodeCertificate(der))];
  const signer = candidates.find((candidate) => identifiesResponder(basic, candidate));
  if (!signer) throw new Failure('OCSP_RESPONDER_NOT_FOUND', 'no certificate matches the ResponderID');
  if (signer.tbs.subjectPublicKeyInfo.equals(issuer.tbs.subjectPublicKeyInfo)) return signer;
  if (trusted.some((candidate) => candidate.raw.equals(signer.raw))) return signer;
  const problem = delegationProblem(signer, issuer, at);
  if (problem) throw new Failure('OCSP_RESPONDER_UNAUTHORIZED', problem);
  return signer;
}

function identifiesResponder(basic: BasicResponse, candidate: DecodedCertificate): boolean {
  if (basic.responderKeyHash) return responderKeyHash(candidate.tbs.subjectPublicKeyInfo).equals(basic.responderKeyHash);
  return basic.responderName !== undefined && distinguishedNamesMatch(basic.responderName, candidate.tbs.subject);
}

function delegationProblem(responder: DecodedCertificate, issuer: DecodedCertificate, at: Date): string | undefined {
  if (!distinguishedNamesMatch(responder.tbs.issuer, issuer.tbs.subject)) return 'responder certificate was not issued by the CA';
  const issuedByCa = verifyRsaSignature({
    publicKeySpki: issuer.tbs.subjectPublicKeyInfo,
    signatureAlgorithmOid: responder.signatureAlgorithm.oid,
    data: responder.tbs.raw,
    signature: responder.signature,
  });
  if (!issuedByCa) return 'responder certificate signature does not verify with the CA key';
  if (!readCertificateExtensions(responder.tbs.extensions).extendedKeyUsage?.includes(Oid.kpOcspSigning)) {
    return 'responder certificate lacks id-kp-OCSPSigning';
  }
  if (at < responder.tbs.notBefore || at > responder.tbs.notAfter) return 'responder certificate is outside its validity period';
  return undefined;
}

function checkSignature(basic: BasicResponse, responder: DecodedCertificate): void {
  const hash = rsaSignatureHash(basic.signatureAlgorithmOid);
  if (!hash || hash === 'SHA-1') throw new Failure('OCSP_SIGNATURE_ALGORITHM_UNSUPPORTED', `signature algorithm ${basic.signatureAlgorithmOid}`);
  const valid = verifyRsaSignature({
    publicKeySpki: responder.tbs.subjectPublicKeyInfo,
    signatureAlgorithmOid: basic.signatureAlgorithmOid,
    data: basic.tbs,
    signature: basic.signature,
  });
  if (!valid) throw new Failure('OCSP_SIGNATURE_INVALID', 'response signature does not verify with the responder key');
}

function describesCertificate(certId: CertId, options: VerifyOcspResponseOptions): boolean {
  const serial = decodeCertificate(options.certificate).tbs.serialNumber;
  return BigInt(`0x${certId.serialNumber}`) === serial && certIdMatchesIssuer(certId, options.issuerCertificate);
}

function checkNonce(basic: BasicResponse, sentNonce: Buffer | undefined): void {
  if (!sentNonce) return;
  const echoed = findExtension(basic.extensions, Oid.ocspNonce);
  if (!echoed) throw new Failure('OCSP_NONCE_MISSING', 'response does not echo the request nonce');
  if (!echoed.value.equals(sentNonce)) throw new Failure('OCSP_NONCE_MISMATCH', 'response nonce differs from the request nonce');
}

function checkFreshness(single: SingleResponse, at: Date, options: VerifyOcspResponseOptions): void {
  const skew = options.clockSkewMs ?? DEFAULT_SKEW_MS;
  const now = at.getTime();
  if (single.thisUpdate.getTime() > now + skew) throw new Failure('OCSP_RESPONSE_NOT_YET_VALID', `thisUpdate ${single.thisUpdate.toISOString()} is in the future`);
  const expiry = single.nextUpdate?.getTime() ?? single.thisUpdate.getTime() + (options.maxAgeMs ?? DEFAULT_MAX_AGE_MS);
  if (expiry < now - skew) throw new Failure('OCSP_RESPONSE_EXPIRED', `response expired at ${new Date(expiry).toISOString()}`);
}

