/**
 * The CRL cache of an offline verifier (a ticket gate without network): a complete CRL, optionally
 * merged with the newest delta CRL (RFC 5280 §5.2.4), both signature-checked against the issuing CA,
 * and the time the verifier last synchronised it. Freshness is judged on two clocks:
 * - the issuer's `nextUpdate` (after it, the CRL says nothing about the present), and
 * - the verifier's own limit on how long it runs without synchronising (`maxAgeMs` since `fetchedAt`):
 *   the CA publishes a new CRL within moments of every status change, so the age of the last
 *   synchronisation bounds how long a revocation can go unnoticed at the gate.
 */
import {
  applyDeltaCrl,
  crlCertificateStatus,
  formatSerialNumber,
  isDeltaCrl,
  parseCrl,
  verifyCrlSignature,
  type CertificateStatus,
  type CrlEntry,
  type ParsedCrl,
  type SerialNumberInput,
} from '@jpki/pki';
import { StatusUnavailableError } from './refusals';

export class CrlRejectedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CrlRejectedError';
  }
}

export interface CrlSnapshot {
  /** The CA whose CRLs these are (DER). */
  readonly issuerCertificate: Buffer;
  readonly complete: ParsedCrl;
  /** The delta merged into `entries`, when one applied. */
  readonly delta?: ParsedCrl;
  readonly entries: ReadonlyMap<string, CrlEntry>;
  /** Number of the newest CRL merged (the delta's when one applied). */
  readonly crlNumber: bigint;
  readonly thisUpdate: Date;
  readonly nextUpdate?: Date;
  /** When the verifier last obtained (or confirmed) these CRLs from the CA. */
  readonly fetchedAt: Date;
}

/** Parses and checks a complete CRL (and a delta) from `issuerCertificate`; the delta is merged when it applies. */
export function buildCrlSnapshot(input: { issuerCertificate: Buffer; complete: Buffer; delta?: Buffer; fetchedAt: Date }): CrlSnapshot {
  const complete = parseVerified(input.complete, input.issuerCertificate, 'complete');
  if (isDeltaCrl(complete)) throw new CrlRejectedError('expected a complete CRL, got a delta CRL');
  if (complete.crlNumber === undefined) throw new CrlRejectedError('complete CRL without a CRL number');
  const delta = input.delta ? parseVerified(input.delta, input.issuerCertificate, 'delta') : undefined;
  if (delta && !isDeltaCrl(delta)) throw new CrlRejectedError('expected a delta CRL, got a complete CRL');
  const applies = delta && deltaApplies(complete, delta);
  const merged = applies ? applyDeltaCrl(complete, delta) : complete.entries;
  const newest = applies ? delta : complete;
  return {
    issuerCertificate: input.issuerCertificate,
    complete,
    ...(applies ? { delta } : {}),
    entries: new Map(merged.map((entry) => [entry.serialNumber, entry])),
    crlNumber: newest.crlNumber ?? complete.crlNumber,
    thisUpdate: newest.thisUpdate,
    nextUpdate: newest.nextUpdate,
    fetchedAt: input.fetchedAt,
  };
}

/** A delta applies when it is newer than the complete CRL and its base is not newer than it (RFC 5280 §5.2.4). */
export function deltaApplies(complete: ParsedCrl, delta: ParsedCrl): boolean {
  return (
    complete.crlNumber !== undefined &&
    delta.crlNumber !== undefined &&
    delta.baseCrlNumber !== undefined &&
    delta.baseCrlNumber <= complete.crlNumber &&
    delta.crlNumber > complete.crlNumber
  );
}

function parseVerified(der: Buffer, issuer: Buffer, what: string): ParsedCrl {
  let crl: ParsedCrl;
  try {
    crl = parseCrl(der);
  } catch (error) {
    throw new CrlRejectedError(`${what} CRL: ${(error as Error).message}`);
  }
  if (!verifyCrlSignature(crl, issuer)) throw new CrlRejectedError(`${what} CRL: signature or issuer does not match the CA certificate`);
  return crl;
}

export type CrlFreshness = { readonly fresh: true } | { readonly fresh: false; readonly detail: string };

export function crlFreshness(snapshot: CrlSnapshot, at: Date, maxAgeMs: number): CrlFreshness {
  if (snapshot.nextUpdate && at > snapshot.nextUpdate) {
    return { fresh: false, detail: `CRL ${snapshot.crlNumber} is past its nextUpdate ${snapshot.nextUpdate.toISOString()}` };
  }
  const ageMs = at.getTime() - snapshot.fetchedAt.getTime();
  if (ageMs > maxAgeMs) {
    return {
      fresh: false,
      detail: `CRL ${snapshot.crlNumber} was last synchronised ${Math.round(ageMs / 1000)} s ago (limit ${Math.round(maxAgeMs / 1000)} s)`,
    };
  }
  return { fresh: true };
}

/** Status of a serial from a fresh snapshot; CRL_STALE otherwise. */
export function snapshotStatus(snapshot: CrlSnapshot, serial: SerialNumberInput, at: Date, maxAgeMs: number): CertificateStatus {
  const freshness = crlFreshness(snapshot, at, maxAgeMs);
  if (!freshness.fresh) throw new StatusUnavailableError('CRL_STALE', freshness.detail);
  const entry = snapshot.entries.get(formatSerialNumber(serial));
  return crlCertificateStatus({ entries: entry ? [entry] : [] }, serial);
}

/** What a synchronisation did: `delta` (only the delta CRL was downloaded), `complete`, or `unchanged`. */
export type CrlSyncKind = 'delta' | 'complete' | 'unchanged';

export interface CrlDownloads {
  complete(): Promise<Buffer>;
  /** Rejects (or resolves undefined) when the CA publishes no delta. */
  delta(): Promise<Buffer | undefined>;
}

/**
 * Brings a snapshot up to date with as little download as possible: the delta CRL alone when it
 * applies to the cached complete CRL, otherwise the complete CRL (plus the delta when it applies).
 */
export async function synchroniseCrl(
  current: CrlSnapshot | undefined,
  issuerCertificate: Buffer,
  downloads: CrlDownloads,
  at: Date,
): Promise<{ snapshot: CrlSnapshot; kind: CrlSyncKind; bytes: number }> {
  const delta = await downloads.delta().catch(() => undefined);
  const usable = current && current.issuerCertificate.equals(issuerCertificate) ? current : undefined;
  if (usable && delta) {
    const parsedDelta = parseVerified(delta, issuerCertificate, 'delta');
    if (parsedDelta.crlNumber !== undefined && parsedDelta.crlNumber <= usable.crlNumber) {
      return { snapshot: { ...usable, fetchedAt: at }, kind: 'unchanged', bytes: delta.length };
    }
    if (deltaApplies(usable.complete, parsedDelta)) {
      return { snapshot: buildCrlSnapshot({ issuerCertificate, complete: usable.complete.raw, delta, fetchedAt: at }), kind: 'delta', bytes: delta.length };
    }
  }
  const complete = await downloads.complete();
  const snapshot = buildCrlSnapshot({ issuerCertificate, complete, delta, fetchedAt: at });
  return { snapshot, kind: 'complete', bytes: complete.length + (delta?.length ?? 0) };
}

