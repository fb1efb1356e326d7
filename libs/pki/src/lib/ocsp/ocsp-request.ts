/** RFC 6960 OCSP requests: parsing on the responder (POST body or GET path) and building on the client. */
import { randomBytes } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { arrayBuffer, asn1Der, childrenOf, parseAsn1Value, parseDer, parsePkijs, receivedDer, x509Extensions } from '../asn1/pkijs-interop';
import { Oid, type HashAlgorithmName } from '../asn1/oids';
import { findExtension, type X509Extension } from '../x509/extensions';
import { computeCertId, decodeCertId, type CertId } from './cert-id';

export interface OcspSingleRequest {
  readonly certId: CertId;
  readonly extensions: readonly X509Extension[];
}

export interface OcspRequestInfo {
  readonly raw: Buffer;
  readonly requests: readonly OcspSingleRequest[];
  /** Raw extnValue of the nonce extension (a DER OCTET STRING, RFC 8954), echoed verbatim. */
  readonly nonce?: Buffer;
  readonly extensions: readonly X509Extension[];
  /** True when the request carried an optionalSignature (not verified: JPKI requests are unsigned). */
  readonly signed: boolean;
}

export class OcspRequestError extends Error {
  readonly status = 'malformedRequest' as const;

  constructor(message: string) {
    super(message);
    this.name = 'OcspRequestError';
  }
}

const MAX_NONCE_OCTETS = 32;
const UNDERSTOOD_REQUEST_EXTENSIONS = new Set<string>([Oid.ocspNonce]);

/** Parses a DER OCSPRequest; throws OcspRequestError (answer `malformedRequest`) on anything invalid. */
export function parseOcspRequest(der: Buffer): OcspRequestInfo {
  let request: pkijs.OCSPRequest;
  try {
    const lightweight = lightweightRequest(der);
    if (lightweight) return lightweight;
    request = parsePkijs(pkijs.OCSPRequest, der);
  } catch (error) {
    throw new OcspRequestError(`malformed OCSP request: ${(error as Error).message}`);
  }
  const { version, requestList, requestExtensions } = request.tbsRequest;
  if (version !== undefined && version !== 0) throw new OcspRequestError('unsupported OCSP request version');
  if (requestList.length === 0) throw new OcspRequestError('OCSP request lists no certificate');
  const requests = requestList.map((single) => ({
    certId: decodeCertId(single.reqCert),
    extensions: rejectUnknownCritical(x509Extensions(single.singleRequestExtensions ?? [])),
  }));
  const extensions = rejectUnknownCritical(x509Extensions(requestExtensions ?? []));
  return { raw: der, requests, extensions, nonce: validatedNonce(extensions), signed: request.optionalSignature !== undefined };
}

/**
 * RFC 5019's lightweight request — one CertID, no extensions, no signature, the form relying parties send for pre-signed
 * answers — read off the strict DER tree, the CertID alone by pkijs: matching a whole OCSPRequest against pkijs' schema
 * costs ten times as much, and this is the responder's hottest path. Any other shape: undefined (pkijs reads it).
 */
function lightweightRequest(der: Buffer): OcspRequestInfo | undefined {
  const only = (node: asn1js.AsnType | undefined) => {
    const members = node instanceof asn1js.Sequence ? childrenOf(node) : [];
    return members.length === 1 && members[0] instanceof asn1js.Sequence ? members[0] : undefined;
  };
  const reqCert = only(only(only(only(parseDer(der, 'OCSPRequest')))));
  if (!reqCert) return undefined;
  const certId = decodeCertId(new pkijs.CertID({ schema: reqCert }), receivedDer(reqCert));
  return { raw: der, requests: [{ certId, extensions: [] }], extensions: [], signed: false };
}

function rejectUnknownCritical(extensions: X509Extension[]): X509Extension[] {
  const unknown = extensions.find((extension) => extension.critical && !UNDERSTOOD_REQUEST_EXTENSIONS.has(extension.oid));
  if (unknown) throw new OcspRequestError(`unsupported critical request extension ${unknown.oid}`);
  return extensions;
}

/** RFC 8954: the nonce is an OCTET STRING of 1..32 octets; anything else is a malformed request. */
function validatedNonce(extensions: readonly X509Extension[]): Buffer | undefined {
  const extension = findExtension(extensions, Oid.ocspNonce);
  if (!extension) return undefined;
  let inner: Buffer;
  try {
    inner = Buffer.from(parseAsn1Value(asn1js.OctetString, extension.value, 'nonce').valueBlock.valueHexView);
  } catch {
    throw new OcspRequestError('nonce extension is not a DER OCTET STRING');
  }
  if (inner.length < 1 || inner.length > MAX_NONCE_OCTETS) throw new OcspRequestError(`nonce of ${inner.length} octets (1..32 allowed)`);
  return extension.value;
}

/**
 * DER request from the last path segment of an RFC 6960 Appendix A GET (`/{url-encoding of base64(DER)}`);
 * base64url is accepted too.
 */
export function decodeOcspGetRequest(pathSegment: string): Buffer {
  let text: string;
  try {
    text = decodeURIComponent(pathSegment.replace(/^\/+/, ''));
  } catch {
    throw new OcspRequestError('GET path is not valid URL encoding');
  }
  const base64 = text.replace(/-/g, '+').replace(/_/g, '/').replace(/\s/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) throw new OcspRequestError('GET path is not base64');
  return Buffer.from(base64, 'base64');
}

export interface BuildOcspRequestOptions {
  readonly certificate: Buffer;
  readonly issuerCertificate: Buffer;
  /** CertID hash; default SHA-256 (the JPKI simulator responder answers SHA-1 and SHA-256). */
  readonly hashAlgorithm?: HashAlgorithmName;
  /** true (default) for a fresh 32-octet nonce, false for none, or the nonce octets to send. */
  readonly nonce?: boolean | Buffer;
}

export interface BuiltOcspRequest {
  readonly der: Buffer;
  readonly certId: CertId;
  /** extnValue of the nonce sent (pass to verifyOcspResponse). */
  readonly nonce?: Buffer;
}

export function buildOcspRequest(options: BuildOcspRequestOptions): BuiltOcspRequest {
  const certId = computeCertId(options.certificate, options.issuerCertificate, options.hashAlgorithm ?? 'SHA-256');
  const nonceOctets = options.nonce === false ? undefined : Buffer.isBuffer(options.nonce) ? options.nonce : randomBytes(MAX_NONCE_OCTETS);
  const nonce = nonceOctets && asn1Der(new asn1js.OctetString({ valueHex: arrayBuffer(nonceOctets) }));
  const tbsRequest = new pkijs.TBSRequest({
    requestList: [new pkijs.Request({ reqCert: pkijs.CertID.fromBER(certId.raw) })],
    ...(nonce ? { requestExtensions: [new pkijs.Extension({ extnID: Oid.ocspNonce, extnValue: arrayBuffer(nonce) })] } : {}),
  });
  return { der: Buffer.from(new pkijs.OCSPRequest({ tbsRequest }).toSchema(true).toBER()), certId, nonce };
}

