/** RFC 6960 responder side: BasicOCSPResponse signed with SHA-256 by a delegated responder (or the CA). */
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { arrayBuffer, asn1Der, derOf, derTlv, signatureAlgorithmFor, signedEnvelope, wholeSeconds } from '../asn1/pkijs-interop';
import { Oid } from '../asn1/oids';
import type { Signer } from '../keys/signer';
import { RevocationReason, type CertificateStatus } from '../revocation/revocation-reason';
import { decodeCertificate } from '../x509/certificate';
import { keyIdentifierFromSpki } from '../x509/extensions';
import type { CertId } from './cert-id';

export const OCSP_RESPONSE_STATUS = {
  successful: 0,
  malformedRequest: 1,
  internalError: 2,
  tryLater: 3,
  sigRequired: 5,
  unauthorized: 6,
} as const;

export type OcspResponseStatus = keyof typeof OCSP_RESPONSE_STATUS;
export type OcspErrorStatus = Exclude<OcspResponseStatus, 'successful'>;

export interface OcspResponder {
  /** Signs tbsResponseData; its key must be the one certified by `certificate`. */
  readonly signer: Signer;
  /** Delegated responder certificate (id-kp-OCSPSigning, issued by the CA) or the CA certificate itself. */
  readonly certificate: Buffer;
  /** Default `byKey` (RFC 5019 recommends it). */
  readonly responderIdType?: 'byKey' | 'byName';
  /** Extra certificates to include after the responder certificate, e.g. nothing for JPKI. */
  readonly additionalCertificates?: readonly Buffer[];
}

export interface OcspSingleResponseInput {
  /** The CertID from the request, echoed byte for byte. */
  readonly certId: CertId;
  readonly status: CertificateStatus;
  readonly thisUpdate: Date;
  readonly nextUpdate?: Date;
}

export interface BuildOcspResponseRequest {
  readonly responder: OcspResponder;
  readonly producedAt: Date;
  readonly responses: readonly OcspSingleResponseInput[];
  /** The request's nonce extnValue, echoed verbatim. */
  readonly nonce?: Buffer;
}

/**
 * A successful OCSPResponse (DER) carrying a BasicOCSPResponse signed with sha256WithRSAEncryption. The responder's
 * certificates go in as received, not decoded and encoded again: a pre-signing CA builds one answer per status change.
 */
export async function buildOcspResponse(request: BuildOcspResponseRequest): Promise<Buffer> {
  const tbsResponseData = new pkijs.ResponseData({
    responderID: responderId(request.responder),
    producedAt: wholeSeconds(request.producedAt),
    responses: request.responses.map(singleResponse),
    ...(request.nonce ? { responseExtensions: [new pkijs.Extension({ extnID: Oid.ocspNonce, extnValue: arrayBuffer(request.nonce) })] } : {}),
  });
  const tbs = asn1Der(tbsResponseData.toSchema(true));
  const certs = [request.responder.certificate, ...(request.responder.additionalCertificates ?? [])];
  const signature = await request.responder.signer.sign(tbs);
  const basicResponse = signedEnvelope(tbs, signatureAlgorithmFor({}), signature, derTlv(CERTS_TAG, derTlv(SEQUENCE_TAG, ...certs)));
  return derOf(
    new pkijs.OCSPResponse({
      responseStatus: new asn1js.Enumerated({ value: OCSP_RESPONSE_STATUS.successful }),
      responseBytes: new pkijs.ResponseBytes({ responseType: Oid.ocspBasic, response: new asn1js.OctetString({ valueHex: arrayBuffer(basicResponse) }) }),
    }),
  );
}

/** BasicOCSPResponse `certs [0] EXPLICIT SEQUENCE OF Certificate`. */
const CERTS_TAG = 0xa0;
const SEQUENCE_TAG = 0x30;

/** An unsuccessful OCSPResponse: just the status, no responseBytes (and no signature). */
export function buildOcspErrorResponse(status: OcspErrorStatus): Buffer {
  return derOf(new pkijs.OCSPResponse({ responseStatus: new asn1js.Enumerated({ value: OCSP_RESPONSE_STATUS[status] }) }));
}

/** byKey is SHA-1 of the responder's subjectPublicKey bits (RFC 6960 §4.2.1): its method-1 key identifier. */
function responderId(responder: OcspResponder): pkijs.RelativeDistinguishedNames | asn1js.OctetString {
  const certificate = decodeCertificate(responder.certificate).tbs;
  if (responder.responderIdType === 'byName') return pkijs.RelativeDistinguishedNames.fromBER(certificate.subject.raw);
  return new asn1js.OctetString({ valueHex: arrayBuffer(keyIdentifierFromSpki(certificate.subjectPublicKeyInfo)) });
}

function singleResponse(single: OcspSingleResponseInput): pkijs.SingleResponse {
  return new pkijs.SingleResponse({
    certID: pkijs.CertID.fromBER(single.certId.raw),
    certStatus: certStatus(single.status),
    thisUpdate: wholeSeconds(single.thisUpdate),
    ...(single.nextUpdate ? { nextUpdate: wholeSeconds(single.nextUpdate) } : {}),
  });
}

function certStatus(status: CertificateStatus): asn1js.BaseBlock {
  if (status.status !== 'revoked') return new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: status.status === 'good' ? 0 : 2 } });
  const reason =
    status.reason === 'unspecified'
      ? []
      : [new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 0 }, value: [new asn1js.Enumerated({ value: RevocationReason[status.reason] })] })];
  return new asn1js.Constructed({
    idBlock: { tagClass: 3, tagNumber: 1 },
    value: [new asn1js.GeneralizedTime({ valueDate: wholeSeconds(status.revocationTime) }), ...reason],
  });
}
