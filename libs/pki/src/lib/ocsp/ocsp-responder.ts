/** Request → response pipeline for the CA's OCSP responder: parse, authorise, look up, sign. */
import type { CertificateStatus } from '../revocation/revocation-reason';
import { certIdMatchesIssuer, type CertId } from './cert-id';
import { OcspRequestError, parseOcspRequest } from './ocsp-request';
import { buildOcspErrorResponse, buildOcspResponse, type OcspResponder } from './ocsp-response';

export interface OcspAuthority {
  /** CA whose certificates this entry answers for. */
  readonly issuerCertificate: Buffer;
  /** Who signs for that CA: its delegated responder (or the CA itself). */
  readonly responder: OcspResponder;
}

/** Thrown by a status lookup that is temporarily unavailable: answered with `tryLater`. */
export class OcspTryLaterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OcspTryLaterError';
  }
}

export interface OcspResponderOptions {
  readonly authorities: readonly OcspAuthority[];
  /** Status of `serialNumber` (uppercase hex) issued by `issuerCertificate`. */
  lookup(issuerCertificate: Buffer, serialNumber: string): Promise<CertificateStatus>;
  readonly now?: () => Date;
  /** nextUpdate − thisUpdate; omit for no nextUpdate (status may change at any moment). */
  readonly validityMs?: number;
}

/**
 * Answers a DER OCSP request. Undecodable requests get `malformedRequest`; requests naming no CA we
 * serve get `unauthorized` (RFC 5019 §2.2.3); single requests for another CA than the first matched
 * one get `unknown`; a lookup throwing OcspTryLaterError gets `tryLater`, any other failure `internalError`.
 */
export async function respondToOcspRequest(requestDer: Buffer, options: OcspResponderOptions): Promise<Buffer> {
  let request: ReturnType<typeof parseOcspRequest>;
  try {
    request = parseOcspRequest(requestDer);
  } catch (error) {
    if (error instanceof OcspRequestError) return buildOcspErrorResponse('malformedRequest');
    throw error;
  }
  const certIds = request.requests.map((single) => single.certId);
  const authority = certIds.map((certId) => findAuthority(certId, options.authorities)).find((found) => found !== undefined);
  if (!authority) return buildOcspErrorResponse('unauthorized');
  try {
    const statuses = await Promise.all(certIds.map((certId) => statusFor(certId, authority, options)));
    const thisUpdate = (options.now ?? (() => new Date()))();
    const nextUpdate = options.validityMs === undefined ? undefined : new Date(thisUpdate.getTime() + options.validityMs);
    return await buildOcspResponse({
      responder: authority.responder,
      producedAt: thisUpdate,
      responses: certIds.map((certId, i) => ({ certId, status: statuses[i], thisUpdate, nextUpdate })),
      nonce: request.nonce,
    });
  } catch (error) {
    return buildOcspErrorResponse(error instanceof OcspTryLaterError ? 'tryLater' : 'internalError');
  }
}

function findAuthority(certId: CertId, authorities: readonly OcspAuthority[]): OcspAuthority | undefined {
  return authorities.find((authority) => certIdMatchesIssuer(certId, authority.issuerCertificate));
}

function statusFor(certId: CertId, authority: OcspAuthority, options: OcspResponderOptions): Promise<CertificateStatus> {
  if (!certIdMatchesIssuer(certId, authority.issuerCertificate)) return Promise.resolve({ status: 'unknown' });
  return options.lookup(authority.issuerCertificate, certId.serialNumber);
}
