/** X.509 v2 CRLs (RFC 5280 §5): complete and delta CRLs, parsing for relying-party caches, serial lookup. */
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { Oid } from '../asn1/oids';
import {
  algorithmIdentifierValue,
  asn1Der,
  derOf,
  parseAsn1Value,
  parsePkijs,
  pkijsExtensions,
  pkijsTime,
  signatureAlgorithmFor,
  x509Extensions,
  type AlgorithmIdentifierValue,
} from '../asn1/pkijs-interop';
import { toDer } from '../encoding/pem';
import { formatSerialNumber, parseSerialNumber, type SerialNumberInput } from '../encoding/serial-number';
import { verifyRsaSignature } from '../keys/signature-verification';
import type { Signer } from '../keys/signer';
import { decodedName, type DecodedName } from '../names/distinguished-name';
import {
  RevocationReason,
  revocationReasonName,
  type CertificateStatus,
  type RevocationReasonName,
} from '../revocation/revocation-reason';
import { decodeCertificate } from '../x509/certificate';
import { readCertificateExtensions } from '../x509/extension-view';
import {
  authorityKeyIdentifierExtension,
  crlDistributionPointsExtension,
  decodeAuthorityKeyIdentifier,
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

/** The unsigned CRL; its signature and signatureAlgorithm are sha256WithRSAEncryption. */
export function buildCertificateList(request: BuildCrlRequest): pkijs.CertificateRevocationList {
  const issuer = decodeCertificate(request.issuer.certificate);
  const algorithm = signatureAlgorithmFor({});
  return new pkijs.CertificateRevocationList({
    version: 1,
    signature: algorithm,
    signatureAlgorithm: algorithm,
    issuer: pkijs.RelativeDistinguishedNames.fromBER(issuer.tbs.subject.raw),
    thisUpdate: pkijsTime(request.thisUpdate),
    nextUpdate: pkijsTime(request.nextUpdate),
    // An empty revokedCertificates list must be omitted, not encoded empty.
    ...(request.entries.length > 0 ? { revokedCertificates: request.entries.map(revokedCertificate) } : {}),
    crlExtensions: pkijsExtensions(crlExtensions(request, issuer.tbs.subjectPublicKeyInfo, issuer.tbs.extensions)),
  });
}

function crlExtensions(request: BuildCrlRequest, issuerSpki: Buffer, issuerExtensions: readonly X509Extension[]): ExtensionInput[] {
  const keyId = readCertificateExtensions(issuerExtensions).subjectKeyIdentifier ?? keyIdentifierFromSpki(issuerSpki);
  const extensions: ExtensionInput[] = [
    authorityKeyIdentifierExtension(keyId),
    { oid: Oid.crlNumber, critical: false, value: asn1Der(asn1js.Integer.fromBigInt(request.crlNumber)) },
  ];
  if (request.baseCrlNumber !== undefined) {
    extensions.push({ oid: Oid.deltaCrlIndicator, critical: true, value: asn1Der(asn1js.Integer.fromBigInt(request.baseCrlNumber)) });
  }
  if (request.deltaCrlUri) {
    extensions.push({ ...crlDistributionPointsExtension([request.deltaCrlUri]), oid: Oid.freshestCrl });
  }
  return extensions;
}

function revokedCertificate(entry: CrlEntryInput): pkijs.RevokedCertificate {
  const extensions: ExtensionInput[] = [];
  if (entry.reason && entry.reason !== 'unspecified') {
    extensions.push({ oid: Oid.crlReason, critical: false, value: asn1Der(new asn1js.Enumerated({ value: RevocationReason[entry.reason] })) });
  }
  if (entry.invalidityDate) {
    extensions.push({ oid: Oid.invalidityDate, critical: false, value: derOf(pkijsTime(entry.invalidityDate, 'GeneralizedTime')) });
  }
  return new pkijs.RevokedCertificate({
    userCertificate: asn1js.Integer.fromBigInt(parseSerialNumber(entry.serialNumber)),
    revocationDate: pkijsTime(entry.revocationDate),
    ...(extensions.length > 0 ? { crlEntryExtensions: pkijsExtensions(extensions) } : {}),
  });
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
  const raw = toDer(input, 'X509 CRL');
  try {
    return decodeCertificateList(raw, parsePkijs(pkijs.CertificateRevocationList, raw, 'CertificateRevocationList', maxCrlNodes(raw)));
  } catch (error) {
    throw new CrlFormatError(`malformed CRL: ${(error as Error).message}`);
  }
}

/**
 * A CRL has about ten nodes per entry, so asn1js's default bound would refuse one listing more than about a thousand
 * certificates. Every node takes at least two bytes: the bound is the size the caller accepted.
 */
function maxCrlNodes(der: Buffer): number {
  return Math.max(asn1js.DEFAULT_MAX_NODES, Math.ceil(der.length / 2));
}

function decodeCertificateList(raw: Buffer, crl: pkijs.CertificateRevocationList): ParsedCrl {
  const extensions = x509Extensions(crl.crlExtensions?.extensions ?? []);
  const entries = (crl.revokedCertificates ?? []).map(crlEntry);
  return {
    raw,
    tbs: Buffer.from(crl.tbsView),
    version: crl.version + 1,
    signatureAlgorithm: algorithmIdentifierValue(crl.signature),
    outerSignatureAlgorithm: algorithmIdentifierValue(crl.signatureAlgorithm),
    signature: Buffer.from(crl.signatureValue.valueBlock.valueHexView),
    issuer: decodedName(crl.issuer),
    thisUpdate: crl.thisUpdate.value,
    nextUpdate: crl.nextUpdate?.value,
    entries,
    extensions,
    emptyRevokedListEncoded: crl.revokedCertificates !== undefined && entries.length === 0,
    ...crlExtensionValues(extensions),
  };
}

function crlExtensionValues(extensions: readonly X509Extension[]): Pick<ParsedCrl, 'crlNumber' | 'baseCrlNumber' | 'authorityKeyIdentifier'> {
  const crlNumber = findExtension(extensions, Oid.crlNumber);
  const delta = findExtension(extensions, Oid.deltaCrlIndicator);
  const aki = findExtension(extensions, Oid.authorityKeyIdentifier);
  return {
    crlNumber: crlNumber && parseAsn1Value(asn1js.Integer, crlNumber.value, 'CRLNumber').toBigInt(),
    baseCrlNumber: delta && parseAsn1Value(asn1js.Integer, delta.value, 'BaseCRLNumber').toBigInt(),
    authorityKeyIdentifier: aki && decodeAuthorityKeyIdentifier(aki.value).keyIdentifier,
  };
}

function crlEntry(revoked: pkijs.RevokedCertificate): CrlEntry {
  const extensions = x509Extensions(revoked.crlEntryExtensions?.extensions ?? []);
  const reasonExtension = findExtension(extensions, Oid.crlReason);
  const invalidity = findExtension(extensions, Oid.invalidityDate);
  const reasonCode = reasonExtension && parseAsn1Value(asn1js.Enumerated, reasonExtension.value, 'CRLReason').valueBlock.valueDec;
  return {
    serialNumber: formatSerialNumber(revoked.userCertificate.toBigInt()),
    revocationDate: revoked.revocationDate.value,
    reasonCode,
    reason: reasonCode === undefined ? 'unspecified' : revocationReasonName(reasonCode),
    invalidityDate: invalidity && parseAsn1Value(asn1js.GeneralizedTime, invalidity.value, 'invalidityDate').toDate(),
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
