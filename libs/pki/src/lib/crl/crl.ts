/** X.509 v2 CRLs (RFC 5280 §5): complete and delta CRLs, parsing for relying-party caches, serial lookup. */
import {
  Asn1Error,
  decodeDer,
  readEnumerated,
  readGeneralizedTime,
  readInteger,
  readTime,
  sequenceChildren,
  SequenceReader,
  unwrapExplicit,
  type Asn1Node,
} from '../asn1/der-reader';
import { enumerated, explicit, generalizedTime, integer, sequence, time, Tag } from '../asn1/der-writer';
import { Oid } from '../asn1/oids';
import { toDer } from '../encoding/pem';
import { formatSerialNumber, parseSerialNumber, type SerialNumberInput } from '../encoding/serial-number';
import { sha256WithRsaAlgorithm } from '../x509/signed-structure';
import { verifyRsaSignature } from '../keys/signature-verification';
import type { Signer } from '../keys/signer';
import { decodeDistinguishedName, type DecodedName } from '../names/distinguished-name';
import {
  RevocationReason,
  revocationReasonName,
  type CertificateStatus,
  type RevocationReasonName,
} from '../revocation/revocation-reason';
import { decodeAlgorithmIdentifier, decodeCertificate, readSignatureBits, type AlgorithmIdentifierValue } from '../x509/certificate';
import { readCertificateExtensions } from '../x509/extension-view';
import {
  authorityKeyIdentifierExtension,
  crlDistributionPointsExtension,
  decodeAuthorityKeyIdentifier,
  decodeExtensions,
  encodeExtensions,
  findExtension,
  keyIdentifierFromSpki,
  type ExtensionInput,
  type X509Extension,
} from '../x509/extensions';

export interface CrlEntryInput {
  readonly serialNumber: SerialNumberInput;
  readonly revocationDate: Date;
  /** Omitted (or `unspecified`) means no reasonCode extension, as RFC 5280 §5.3.1 recommends. */
  readonly reason?: RevocationReasonName;
  readonly invalidityDate?: Date;
}

export interface CrlIssuer {
  readonly signer: Signer;
  /** The CA certificate (DER): its subject becomes the CRL issuer, its key identifier the AKI. */
  readonly certificate: Buffer;
}

export interface BuildCrlRequest {
  readonly issuer: CrlIssuer;
  readonly crlNumber: bigint;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date;
  readonly entries: readonly CrlEntryInput[];
  /** Makes this a delta CRL (critical Delta CRL Indicator) against the complete CRL with this number. */
  readonly baseCrlNumber?: bigint;
  /** Complete CRLs: where deltas are published (Freshest CRL, RFC 5280 §5.2.6); relying parties need it to apply deltas. */
  readonly deltaCrlUri?: string;
}

export function buildTbsCertList(request: BuildCrlRequest): Buffer {
  const issuer = decodeCertificate(request.issuer.certificate);
  const revoked = request.entries.map(encodeCrlEntry);
  return sequence(
    integer(1),
    sha256WithRsaAlgorithm(),
    issuer.tbs.subject.raw,
    time(request.thisUpdate),
    time(request.nextUpdate),
    // An empty revokedCertificates list must be omitted, not encoded empty.
    ...(revoked.length > 0 ? [sequence(...revoked)] : []),
    explicit(0, encodeExtensions(crlExtensions(request, issuer.tbs.subjectPublicKeyInfo, issuer.tbs.extensions))),
  );
}

function crlExtensions(request: BuildCrlRequest, issuerSpki: Buffer, issuerExtensions: readonly X509Extension[]): ExtensionInput[] {
  const keyId = readCertificateExtensions(issuerExtensions).subjectKeyIdentifier ?? keyIdentifierFromSpki(issuerSpki);
  const extensions: ExtensionInput[] = [
    authorityKeyIdentifierExtension(keyId),
    { oid: Oid.crlNumber, critical: false, value: integer(request.crlNumber) },
  ];
  if (request.baseCrlNumber !== undefined) {
    extensions.push({ oid: Oid.deltaCrlIndicator, critical: true, value: integer(request.baseCrlNumber) });
  }
  if (request.deltaCrlUri) {
    extensions.push({ ...crlDistributionPointsExtension([request.deltaCrlUri]), oid: Oid.freshestCrl });
  }
  return extensions;
}

function encodeCrlEntry(entry: CrlEntryInput): Buffer {
  const extensions: ExtensionInput[] = [];
  if (entry.reason && entry.reason !== 'unspecified') {
    extensions.push({ oid: Oid.crlReason, critical: false, value: enumerated(RevocationReason[entry.reason]) });
  }
  if (entry.invalidityDate) {
    extensions.push({ oid: Oid.invalidityDate, critical: false, value: generalizedTime(entry.invalidityDate) });
  }
  const serial = integer(parseSerialNumber(entry.serialNumber));
  const revocationDate = time(entry.revocationDate);
  return extensions.length > 0 ? sequence(serial, revocationDate, encodeExtensions(extensions)) : sequence(serial, revocationDate);
}

export interface CrlEntry {
  /** Uppercase hex, the key used by `findCrlEntry`. */
  readonly serialNumber: string;
  readonly revocationDate: Date;
  readonly reason?: RevocationReasonName;
  /** The raw reasonCode value, kept even when it is not a defined reason (lint reports it). */
  readonly reasonCode?: number;
  readonly invalidityDate?: Date;
  readonly extensions: readonly X509Extension[];
}

export interface ParsedCrl {
  readonly raw: Buffer;
  readonly tbs: Buffer;
  /** 1 or 2. */
  readonly version: number;
  readonly signatureAlgorithm: AlgorithmIdentifierValue;
  readonly outerSignatureAlgorithm: AlgorithmIdentifierValue;
  readonly signature: Buffer;
  readonly issuer: DecodedName;
  readonly thisUpdate: Date;
  readonly nextUpdate?: Date;
  readonly entries: readonly CrlEntry[];
  readonly extensions: readonly X509Extension[];
  readonly crlNumber?: bigint;
  /** Delta CRLs: the complete CRL number this delta applies to. */
  readonly baseCrlNumber?: bigint;
  readonly authorityKeyIdentifier?: Buffer;
  /** True when revokedCertificates was encoded as an empty SEQUENCE (not DER-canonical per RFC 5280). */
  readonly emptyRevokedListEncoded: boolean;
}

export class CrlFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CrlFormatError';
  }
}

export function parseCrl(input: Buffer | string): ParsedCrl {
  try {
    const root = decodeDer(toDer(input, 'X509 CRL'));
    const reader = SequenceReader.of(root, 'CertificateList');
    const tbsNode = reader.next('tbsCertList');
    const outerSignatureAlgorithm = decodeAlgorithmIdentifier(reader.next('signatureAlgorithm'));
    const signature = readSignatureBits(reader.next('signatureValue'));
    reader.end();
    return { raw: root.raw, tbs: tbsNode.raw, outerSignatureAlgorithm, signature, ...decodeTbsCertList(tbsNode) };
  } catch (error) {
    if (error instanceof Asn1Error) throw new CrlFormatError(`malformed CRL: ${error.message}`);
    throw error;
  }
}

type TbsCertListFields = Omit<ParsedCrl, 'raw' | 'tbs' | 'outerSignatureAlgorithm' | 'signature'>;

function decodeTbsCertList(node: Asn1Node): TbsCertListFields {
  const reader = SequenceReader.of(node, 'TBSCertList');
  const versionNode = reader.optional(Tag.INTEGER);
  const version = versionNode ? Number(readInteger(versionNode, 'version')) + 1 : 1;
  const signatureAlgorithm = decodeAlgorithmIdentifier(reader.next('signature'));
  const issuer = decodeDistinguishedName(reader.next('issuer'));
  const thisUpdate = readTime(reader.next('thisUpdate'), 'thisUpdate');
  const nextUpdateNode = reader.optional(Tag.UTC_TIME) ?? reader.optional(Tag.GENERALIZED_TIME);
  const revokedNode = reader.optional(Tag.SEQUENCE);
  const extensionsNode = reader.optional(0xa0);
  reader.end();
  const extensions = extensionsNode ? decodeExtensions(unwrapExplicit(extensionsNode, 'crlExtensions')) : [];
  const entries = revokedNode ? sequenceChildren(revokedNode, 'revokedCertificates').map(decodeCrlEntry) : [];
  return {
    version,
    signatureAlgorithm,
    issuer,
    thisUpdate,
    nextUpdate: nextUpdateNode && readTime(nextUpdateNode, 'nextUpdate'),
    entries,
    extensions,
    emptyRevokedListEncoded: revokedNode !== undefined && entries.length === 0,
    ...crlExtensionValues(extensions),
  };
}

function crlExtensionValues(extensions: readonly X509Extension[]): Pick<ParsedCrl, 'crlNumber' | 'baseCrlNumber' | 'authorityKeyIdentifier'> {
  const crlNumber = findExtension(extensions, Oid.crlNumber);
  const delta = findExtension(extensions, Oid.deltaCrlIndicator);
  const aki = findExtension(extensions, Oid.authorityKeyIdentifier);
  return {
    crlNumber: crlNumber && readInteger(decodeDer(crlNumber.value), 'CRLNumber'),
    baseCrlNumber: delta && readInteger(decodeDer(delta.value), 'BaseCRLNumber'),
    authorityKeyIdentifier: aki && decodeAuthorityKeyIdentifier(aki.value).keyIdentifier,
  };
}

function decodeCrlEntry(node: Asn1Node): CrlEntry {
  const reader = SequenceReader.of(node, 'revokedCertificate');
  const serial = readInteger(reader.next('userCertificate'), 'userCertificate');
  const revocationDate = readTime(reader.next('revocationDate'), 'revocationDate');
  const extensionsNode = reader.optional(Tag.SEQUENCE);
  reader.end();
  const extensions = extensionsNode ? decodeExtensions(extensionsNode) : [];
  const reasonExtension = findExtension(extensions, Oid.crlReason);
  const invalidity = findExtension(extensions, Oid.invalidityDate);
  const reasonCode = reasonExtension && readEnumerated(decodeDer(reasonExtension.value), 'CRLReason');
  return {
    serialNumber: formatSerialNumber(serial),
    revocationDate,
    reasonCode,
    reason: reasonCode === undefined ? 'unspecified' : revocationReasonName(reasonCode),
    invalidityDate: invalidity && readGeneralizedTime(decodeDer(invalidity.value), 'invalidityDate'),
    extensions,
  };
}

export function isDeltaCrl(crl: ParsedCrl): boolean {
  return crl.baseCrlNumber !== undefined;
}

/** Signature check against the issuing CA certificate (names must match too). */
export function verifyCrlSignature(crl: ParsedCrl, issuerCertificate: Buffer): boolean {
  const issuer = decodeCertificate(issuerCertificate);
  if (!crl.issuer.raw.equals(issuer.tbs.subject.raw)) return false;
  return verifyRsaSignature({
    publicKeySpki: issuer.tbs.subjectPublicKeyInfo,
    signatureAlgorithmOid: crl.outerSignatureAlgorithm.oid,
    data: crl.tbs,
    signature: crl.signature,
  });
}

export function findCrlEntry(crl: Pick<ParsedCrl, 'entries'>, serialNumber: SerialNumberInput): CrlEntry | undefined {
  const wanted = formatSerialNumber(serialNumber);
  return crl.entries.find((entry) => entry.serialNumber === wanted);
}

/** Status of a serial according to a complete CRL (or a merged complete+delta view). */
export function crlCertificateStatus(crl: Pick<ParsedCrl, 'entries'>, serialNumber: SerialNumberInput): CertificateStatus {
  const entry = findCrlEntry(crl, serialNumber);
  if (!entry || entry.reason === 'removeFromCRL') return { status: 'good' };
  return { status: 'revoked', revocationTime: entry.revocationDate, reason: entry.reason ?? 'unspecified' };
}

export class DeltaCrlMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeltaCrlMismatchError';
  }
}

/**
 * Applies a delta CRL to a complete CRL (RFC 5280 §5.2.4): delta entries override, removeFromCRL
 * entries drop the serial (a released hold). Returns the merged entry list.
 */
export function applyDeltaCrl(complete: ParsedCrl, delta: ParsedCrl): CrlEntry[] {
  if (isDeltaCrl(complete) || !isDeltaCrl(delta)) throw new DeltaCrlMismatchError('expected a complete CRL and a delta CRL');
  if (!complete.issuer.raw.equals(delta.issuer.raw)) throw new DeltaCrlMismatchError('delta CRL is from another issuer');
  if (complete.crlNumber === undefined || (delta.baseCrlNumber ?? 0n) > complete.crlNumber) {
    throw new DeltaCrlMismatchError(`delta needs complete CRL ≥ ${delta.baseCrlNumber}, have ${complete.crlNumber}`);
  }
  const merged = new Map(complete.entries.map((entry) => [entry.serialNumber, entry]));
  for (const entry of delta.entries) {
    if (entry.reason === 'removeFromCRL') merged.delete(entry.serialNumber);
    else merged.set(entry.serialNumber, entry);
  }
  return [...merged.values()];
}
