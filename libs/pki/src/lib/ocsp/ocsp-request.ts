/** RFC 6960 OCSP requests: parsing on the responder (POST body or GET path) and building on the client. */
import { randomBytes } from 'node:crypto';
import {
  Asn1Error,
  decodeDer,
  readInteger,
  readOctetString,
  sequenceChildren,
  SequenceReader,
  unwrapExplicit,
  type Asn1Node,
} from '../asn1/der-reader';
import { contextTag, explicit, octetString, sequence } from '../asn1/der-writer';
import { Oid, type HashAlgorithmName } from '../asn1/oids';
import { decodeExtensions, encodeExtensions, findExtension, type X509Extension } from '../x509/extensions';
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
  try {
    const root = decodeDer(der);
    const reader = SequenceReader.of(root, 'OCSPRequest');
    const tbs = decodeTbsRequest(reader.next('tbsRequest'));
    const signature = reader.optional(contextTag(0, true));
    reader.end();
    return { raw: root.raw, ...tbs, signed: signature !== undefined };
  } catch (error) {
    if (error instanceof Asn1Error) throw new OcspRequestError(`malformed OCSP request: ${error.message}`);
    throw error;
  }
}

function decodeTbsRequest(node: Asn1Node): Omit<OcspRequestInfo, 'raw' | 'signed'> {
  const reader = SequenceReader.of(node, 'TBSRequest');
  const versionNode = reader.optional(contextTag(0, true));
  if (versionNode && readInteger(unwrapExplicit(versionNode, 'version')) !== 0n) throw new OcspRequestError('unsupported OCSP request version');
  reader.optional(contextTag(1, true));
  const requests = sequenceChildren(reader.next('requestList'), 'requestList').map(decodeSingleRequest);
  const extensionsNode = reader.optional(contextTag(2, true));
  reader.end();
  if (requests.length === 0) throw new OcspRequestError('OCSP request lists no certificate');
  const extensions = extensionsNode ? decodeExtensions(unwrapExplicit(extensionsNode, 'requestExtensions')) : [];
  rejectUnknownCritical(extensions);
  return { requests, extensions, nonce: validatedNonce(extensions) };
}

function decodeSingleRequest(node: Asn1Node): OcspSingleRequest {
  const reader = SequenceReader.of(node, 'Request');
  const certId = decodeCertId(reader.next('reqCert'));
  const extensionsNode = reader.optional(contextTag(0, true));
  reader.end();
  const extensions = extensionsNode ? decodeExtensions(unwrapExplicit(extensionsNode, 'singleRequestExtensions')) : [];
  rejectUnknownCritical(extensions);
  return { certId, extensions };
}

function rejectUnknownCritical(extensions: readonly X509Extension[]): void {
  const unknown = extensions.find((extension) => extension.critical && !UNDERSTOOD_REQUEST_EXTENSIONS.has(extension.oid));
  if (unknown) throw new OcspRequestError(`unsupported critical request extension ${unknown.oid}`);
}

/** RFC 8954: the nonce is an OCTET STRING of 1..32 octets; anything else is a malformed request. */
function validatedNonce(extensions: readonly X509Extension[]): Buffer | undefined {
  const extension = findExtension(extensions, Oid.ocspNonce);
  if (!extension) return undefined;
  let inner: Buffer;
  try {
    inner = readOctetString(decodeDer(extension.value), 'nonce');
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
  const nonce = nonceOctets && octetString(nonceOctets);
  const extensions = nonce ? [explicit(2, encodeExtensions([{ oid: Oid.ocspNonce, critical: false, value: nonce }]))] : [];
  const der = sequence(sequence(sequence(sequence(certId.raw)), ...extensions));
  return { der, certId, nonce };
}

