/** RFC 6960 responder side: BasicOCSPResponse signed with SHA-256 by a delegated responder (or the CA). */
import { createHash } from 'node:crypto';
import { bitString, contextTag, enumerated, explicit, generalizedTime, objectIdentifier, octetString, sequence, tlv } from '../asn1/der-writer';
import { Oid } from '../asn1/oids';
import type { Signer } from '../keys/signer';
import { RevocationReason, type CertificateStatus } from '../revocation/revocation-reason';
import { decodeCertificate } from '../x509/certificate';
import { encodeExtensions } from '../x509/extensions';
import { sha256WithRsaAlgorithm } from '../x509/signed-structure';
import { subjectPublicKeyBits, type CertId } from './cert-id';

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

/** A successful OCSPResponse (DER) carrying a BasicOCSPResponse signed with sha256WithRSAEncryption. */
export async function buildOcspResponse(request: BuildOcspResponseRequest): Promise<Buffer> {
  const tbsResponseData = encodeResponseData(request);
  const signature = await request.responder.signer.sign(tbsResponseData);
  const certificates = [request.responder.certificate, ...(request.responder.additionalCertificates ?? [])];
  const basicResponse = sequence(tbsResponseData, sha256WithRsaAlgorithm(), bitString(signature), explicit(0, sequence(...certificates)));
  const responseBytes = sequence(objectIdentifier(Oid.ocspBasic), octetString(basicResponse));
  return sequence(enumerated(OCSP_RESPONSE_STATUS.successful), explicit(0, responseBytes));
}

/** An unsuccessful OCSPResponse: just the status, no responseBytes (and no signature). */
export function buildOcspErrorResponse(status: OcspErrorStatus): Buffer {
  return sequence(enumerated(OCSP_RESPONSE_STATUS[status]));
}

function encodeResponseData(request: BuildOcspResponseRequest): Buffer {
  const responseExtensions = request.nonce
    ? [explicit(1, encodeExtensions([{ oid: Oid.ocspNonce, critical: false, value: request.nonce }]))]
    : [];
  return sequence(
    responderId(request.responder),
    generalizedTime(request.producedAt),
    sequence(...request.responses.map(encodeSingleResponse)),
    ...responseExtensions,
  );
}

function responderId(responder: OcspResponder): Buffer {
  const certificate = decodeCertificate(responder.certificate).tbs;
  if (responder.responderIdType === 'byName') return explicit(1, certificate.subject.raw);
  return explicit(2, octetString(responderKeyHash(certificate.subjectPublicKeyInfo)));
}

/** ResponderID byKey: SHA-1 of the responder's subjectPublicKey BIT STRING value (RFC 6960 §4.2.1). */
export function responderKeyHash(spki: Buffer): Buffer {
  return createHash('sha1').update(subjectPublicKeyBits(spki)).digest();
}

function encodeSingleResponse(single: OcspSingleResponseInput): Buffer {
  const nextUpdate = single.nextUpdate ? [explicit(0, generalizedTime(single.nextUpdate))] : [];
  return sequence(single.certId.raw, encodeCertStatus(single.status), generalizedTime(single.thisUpdate), ...nextUpdate);
}

function encodeCertStatus(status: CertificateStatus): Buffer {
  if (status.status === 'good') return tlv(contextTag(0, false), Buffer.alloc(0));
  if (status.status === 'unknown') return tlv(contextTag(2, false), Buffer.alloc(0));
  const reason = status.reason === 'unspecified' ? [] : [explicit(0, enumerated(RevocationReason[status.reason]))];
  return tlv(contextTag(1, true), Buffer.concat([generalizedTime(status.revocationTime), ...reason]));
}
