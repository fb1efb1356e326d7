/** RFC 6960 client side: parse and verify an OCSP response for one certificate. */
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { derOf, parsePkijs, x509Extensions } from '../asn1/pkijs-interop';
import { Oid, rsaSignatureHash } from '../asn1/oids';
import { verifyRsaSignature } from '../keys/signature-verification';
import { decodedName, distinguishedNamesMatch, type DecodedName } from '../names/distinguished-name';
import { revocationReasonName, type CertificateStatus } from '../revocation/revocation-reason';
import { decodeCertificate, type DecodedCertificate } from '../x509/certificate';
import { readCertificateExtensions } from '../x509/extension-view';
import { findExtension, keyIdentifierFromSpki } from '../x509/extensions';
import { certIdMatchesIssuer, decodeCertId, type CertId } from './cert-id';
import { OCSP_RESPONSE_STATUS, type OcspResponseStatus } from './ocsp-response';

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
}

interface SingleResponse {
  readonly certId: CertId;
  readonly status: CertificateStatus;
  readonly thisUpdate: Date;
  readonly nextUpdate?: Date;
}

/** A BasicOCSPResponse with its ResponderID and every SingleResponse decoded (anything malformed fails up front). */
interface BasicResponse {
  readonly basic: pkijs.BasicOCSPResponse;
  readonly responderName?: DecodedName;
  readonly responderKeyHash?: Buffer;
  readonly responses: readonly SingleResponse[];
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
    producedAt: basic.basic.tbsResponseData.producedAt,
    thisUpdate: single.thisUpdate,
    nextUpdate: single.nextUpdate,
    responderCertificate: responderCertificate.raw,
  };
}

function decodeOcspResponse(der: Buffer): BasicResponse {
  const response = parsePkijs(pkijs.OCSPResponse, der);
  const statusCode = response.responseStatus.valueBlock.valueDec;
  const status = RESPONSE_STATUS_NAMES.get(statusCode);
  if (status !== 'successful') throw new Failure('OCSP_RESPONSE_UNSUCCESSFUL', `responder answered ${status ?? statusCode}`, status);
  if (!response.responseBytes) throw new Error('successful response without responseBytes');
  const { responseType } = response.responseBytes;
  if (responseType !== Oid.ocspBasic) throw new Failure('OCSP_RESPONSE_TYPE_UNSUPPORTED', `response type ${responseType}`);
  const basic = parsePkijs(pkijs.BasicOCSPResponse, Buffer.from(response.responseBytes.response.valueBlock.valueHexView));
  const data = basic.tbsResponseData;
  if (data.version !== undefined && data.version !== 0) throw new Error('unsupported ResponseData version');
  return { basic, ...decodeResponderId(data.responderID), responses: data.responses.map(decodeSingleResponse) };
}

function decodeResponderId(responderId: unknown): Pick<BasicResponse, 'responderName' | 'responderKeyHash'> {
  if (responderId instanceof pkijs.RelativeDistinguishedNames) return { responderName: decodedName(responderId) };
  if (responderId instanceof asn1js.OctetString) return { responderKeyHash: Buffer.from(responderId.valueBlock.valueHexView) };
  throw new Error('ResponderID must be byName [1] or byKey [2]');
}

function decodeSingleResponse(single: pkijs.SingleResponse): SingleResponse {
  return { certId: decodeCertId(single.certID), status: decodeCertStatus(single.certStatus), thisUpdate: single.thisUpdate, nextUpdate: single.nextUpdate };
}

function decodeCertStatus(node: asn1js.BaseBlock): CertificateStatus {
  const { tagClass, tagNumber } = node.idBlock;
  const empty = node.valueBeforeDecodeView.length === 2;
  if (tagClass === 3 && tagNumber === 0 && empty) return { status: 'good' };
  if (tagClass === 3 && tagNumber === 2 && empty) return { status: 'unknown' };
  if (tagClass !== 3 || tagNumber !== 1 || !(node instanceof asn1js.Constructed)) throw new Error('unknown CertStatus choice');
  const [time, reasonNode, ...rest] = node.valueBlock.value;
  const reasonValue = reasonNode instanceof asn1js.Constructed ? reasonNode.valueBlock.value : [];
  if (!(time instanceof asn1js.GeneralizedTime) || rest.length > 0 || (reasonNode && !(reasonValue[0] instanceof asn1js.Enumerated))) {
    throw new Error('malformed RevokedInfo');
  }
  const code = reasonNode ? (reasonValue[0] as asn1js.Enumerated).valueBlock.valueDec : 0;
  const reason = revocationReasonName(code);
  if (!reason) throw new Error(`undefined revocation reason ${code}`);
  return { status: 'revoked', revocationTime: time.toDate(), reason };
}

/** RFC 6960 §4.2.2.2: the CA itself or a CA-issued id-kp-OCSPSigning certificate (no locally trusted responders). */
function authorisedResponder(basic: BasicResponse, options: VerifyOcspResponseOptions, at: Date): DecodedCertificate {
  const issuer = decodeCertificate(options.issuerCertificate);
  const candidates = [issuer, ...(basic.basic.certs ?? []).map((certificate) => decodeCertificate(derOf(certificate)))];
  const signer = candidates.find((candidate) => identifiesResponder(basic, candidate));
  if (!signer) throw new Failure('OCSP_RESPONDER_NOT_FOUND', 'no certificate matches the ResponderID');
  if (signer.tbs.subjectPublicKeyInfo.equals(issuer.tbs.subjectPublicKeyInfo)) return signer;
  const problem = delegationProblem(signer, issuer, at);
  if (problem) throw new Failure('OCSP_RESPONDER_UNAUTHORIZED', problem);
  return signer;
}

function identifiesResponder(basic: BasicResponse, candidate: DecodedCertificate): boolean {
  if (basic.responderKeyHash) return keyIdentifierFromSpki(candidate.tbs.subjectPublicKeyInfo).equals(basic.responderKeyHash);
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

function checkSignature({ basic }: BasicResponse, responder: DecodedCertificate): void {
  const signatureAlgorithmOid = basic.signatureAlgorithm.algorithmId;
  const hash = rsaSignatureHash(signatureAlgorithmOid);
  if (!hash || hash === 'SHA-1') throw new Failure('OCSP_SIGNATURE_ALGORITHM_UNSUPPORTED', `signature algorithm ${signatureAlgorithmOid}`);
  const valid = verifyRsaSignature({
    publicKeySpki: responder.tbs.subjectPublicKeyInfo,
    signatureAlgorithmOid,
    data: Buffer.from(basic.tbsResponseData.tbsView),
    signature: Buffer.from(basic.signature.valueBlock.valueHexView),
  });
  if (!valid) throw new Failure('OCSP_SIGNATURE_INVALID', 'response signature does not verify with the responder key');
}

function describesCertificate(certId: CertId, options: VerifyOcspResponseOptions): boolean {
  const serial = decodeCertificate(options.certificate).tbs.serialNumber;
  return BigInt(`0x${certId.serialNumber}`) === serial && certIdMatchesIssuer(certId, options.issuerCertificate);
}

function checkNonce({ basic }: BasicResponse, sentNonce: Buffer | undefined): void {
  if (!sentNonce) return;
  const echoed = findExtension(x509Extensions(basic.tbsResponseData.responseExtensions ?? []), Oid.ocspNonce);
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

