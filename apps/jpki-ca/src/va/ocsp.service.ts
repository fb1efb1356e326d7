/**
 * OCSP responder (RFC 6960; the read side). Status is always the database's: a per-replica cache of
 * status rows is invalidated by NOTIFY on every committed change (and bypassed while the listener is down),
 * so a change is visible within milliseconds on every replica. Nonce-less single requests in the default
 * (SHA-1) CertID form are answered with the pre-signed response when it matches the current status version;
 * everything else (nonces, other hashes, several certificates) is signed live by the delegated responder. Until the
 * pre-signer has caught up with a change, a nonce-less one-CertID request is signed live once and that answer is
 * shared with every request for the same CertID and status version (relying parties polling a certificate whose
 * status just changed would otherwise cost a signature each).
 *
 * Cheap abuse: a request naming more than OCSP_MAX_CERT_IDS certificates is answered `malformedRequest` before any
 * lookup (XiPKI's maxRequestListCount does the same; RFC 5019 clients send one CertID), and the statuses a request
 * needs are read with one query for the whole request, never one per CertID, so a request full of serials the CA
 * never issued costs one indexed query (counted by `ca_ocsp_status_queries_total`).
 */
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import {
  buildOcspErrorResponse,
  certIdMatchesIssuer,
  OcspRequestError,
  parseOcspRequest,
  respondToOcspRequest,
  type CertificateStatus,
} from '@jpki/pki';
import { counter, createLogger, histogram } from '@jpki/observability';
import { Clock, SERVICE_CONFIG } from '@jpki/service-kit';
import type { CaConfig } from '../config';
import { CertificateAuthority } from '../signer/certificate-authority';
import { CaStore } from '../storage/ca-store';
import { certificateStatus } from '../storage/certificate-status';
import { ISSUING_CAS, type OcspEntry } from '../storage/types';
import { CaEvents } from './ca-events';

const MAX_CACHED = 100_000;

type ParsedRequest = ReturnType<typeof parseOcspRequest>;
type ParsedCertId = ParsedRequest['requests'][number]['certId'];
type AnswerKind = 'malformed' | 'too-many-cert-ids' | 'pre-signed' | 'live' | 'live-shared';
/** An answer to a nonce-less request for one CertID: which CertID, for which status version, valid until when. */
type ReusableAnswer = { readonly certId: Buffer; readonly statusVersion: number; readonly nextUpdate: Date };

@Injectable()
export class OcspService implements OnModuleInit {
  private readonly cache = new Map<string, OcspEntry>();
  /**
   * Nonce-less one-CertID requests by their bytes, as parsed. Parsing is a function of the bytes alone, and a relying
   * party sends the same bytes for a certificate at every login (RFC 5019): this skips the strict DER walk on the
   * responder's hottest path. Statuses are never kept here.
   */
  private readonly parsedRequests = new Map<string, ParsedRequest>();
  /** Live answers to nonce-less one-CertID requests by serial, until the serial's status changes. */
  private readonly liveAnswers = new Map<string, ReusableAnswer & { readonly response: Promise<Buffer> }>();
  /** Counts every invalidation; a read may be cached only if its serial was not invalidated while it ran. */
  private invalidations = 0;
  private readonly invalidatedAt = new Map<string, number>();
  private resetAt = 0;
  private readonly served = counter('ca_ocsp_responses_total', 'OCSP responses served', ['kind']);
  /** Time to answer, by kind: what relying parties wait for at every login and gate entry (alert OcspSlow in deploy). */
  private readonly latency = histogram('ca_ocsp_response_seconds', 'Time to build an OCSP response', ['kind'], [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]);
  private readonly statusQueries = counter('ca_ocsp_status_queries_total', 'Database queries for OCSP statuses (at most one per request)');
  private readonly log = createLogger('jpki-ca.ocsp');

  constructor(
    private readonly store: CaStore,
    private readonly ca: CertificateAuthority,
    private readonly clock: Clock,
    private readonly events: CaEvents,
    @Inject(SERVICE_CONFIG) private readonly config: CaConfig,
  ) {}

  onModuleInit(): void {
    this.events.onStatus((_ca, serial) => {
      this.invalidations += 1;
      this.cache.delete(serial);
      this.liveAnswers.delete(serial);
      // Bounded: past the cache's size it is forgotten wholesale, which reads then treat as a reset.
      if (this.invalidatedAt.size >= MAX_CACHED) this.forgetInvalidations();
      this.invalidatedAt.set(serial, this.invalidations);
    });
    this.events.onReset(() => {
      this.invalidations += 1;
      this.cache.clear();
      this.liveAnswers.clear();
      this.forgetInvalidations();
    });
  }

  async respond(requestDer: Buffer): Promise<Buffer> {
    const stop = this.latency.startTimer();
    const { kind, response } = await this.answer(requestDer);
    this.served.inc({ kind });
    stop({ kind });
    return response;
  }

  private async answer(requestDer: Buffer): Promise<{ kind: AnswerKind; response: Buffer }> {
    let request: ParsedRequest;
    try {
      request = this.parse(requestDer);
    } catch (error) {
      if (!(error instanceof OcspRequestError)) throw error;
      return { kind: 'malformed', response: buildOcspErrorResponse('malformedRequest') };
    }
    if (request.requests.length > this.config.OCSP_MAX_CERT_IDS) {
      this.log.warn({ certIds: request.requests.length, max: this.config.OCSP_MAX_CERT_IDS }, 'OCSP request over the CertID limit: malformedRequest');
      return { kind: 'too-many-cert-ids', response: buildOcspErrorResponse('malformedRequest') };
    }
    // Only CertIDs naming one of our issuing CAs can have a status here; their serials are read in one go.
    const issuers = ISSUING_CAS.map((ca) => this.ca.certificate(ca));
    const ours = request.requests.filter(({ certId }) => issuers.some((issuer) => certIdMatchesIssuer(certId, issuer)));
    const entries = await this.entries([...new Set(ours.map(({ certId }) => certId.serialNumber))]);
    const entry = request.requests.length === 1 && !request.nonce ? entries.get(request.requests[0].certId.serialNumber) : undefined;
    if (!entry) return { kind: 'live', response: await this.signLive(requestDer, entries) };
    const { certId } = request.requests[0];
    if (entry.preSigned && this.reusable(entry.preSigned, entry, certId)) return { kind: 'pre-signed', response: entry.preSigned.response };
    const shared = this.liveAnswers.get(entry.serial);
    if (shared && this.reusable(shared, entry, certId)) return { kind: 'live-shared', response: await shared.response };
    const answer = {
      certId: certId.raw,
      statusVersion: entry.statusVersion,
      nextUpdate: new Date(this.clock.now().getTime() + this.config.OCSP_RESPONSE_VALIDITY_SECONDS * 1000),
      response: this.signLive(requestDer, entries),
    };
    if (this.liveAnswers.size >= MAX_CACHED) this.liveAnswers.delete(this.liveAnswers.keys().next().value as string);
    this.liveAnswers.set(entry.serial, answer);
    answer.response.catch(() => this.liveAnswers.get(entry.serial) === answer && this.liveAnswers.delete(entry.serial));
    return { kind: 'live', response: await answer.response };
  }

  /** For this CertID and the entry's status version, fresh enough, and not produced "in the future" (the clock may move back). */
  private reusable(answer: ReusableAnswer, entry: OcspEntry, certId: ParsedCertId): boolean {
    const validityMs = this.config.OCSP_RESPONSE_VALIDITY_SECONDS * 1000;
    const remaining = answer.nextUpdate.getTime() - this.clock.now().getTime();
    return (
      answer.statusVersion === entry.statusVersion &&
      answer.certId.equals(certId.raw) &&
      remaining > validityMs / 4 &&
      remaining <= validityMs &&
      certIdMatchesIssuer(certId, this.ca.certificate(entry.issuerCa))
    );
  }

  private async signLive(requestDer: Buffer, entries: Map<string, OcspEntry>): Promise<Buffer> {
    return respondToOcspRequest(requestDer, {
      authorities: await this.ca.ocspAuthorities(),
      lookup: async (issuer, serial) => this.statusOf(entries.get(serial), issuer),
      now: () => this.clock.now(),
      validityMs: this.config.OCSP_RESPONSE_VALIDITY_SECONDS * 1000,
    });
  }

  private forgetInvalidations(): void {
    this.invalidatedAt.clear();
    this.resetAt = this.invalidations;
  }

  private parse(requestDer: Buffer): ParsedRequest {
    const key = requestDer.toString('latin1');
    const known = this.parsedRequests.get(key);
    if (known) return known;
    const request = parseOcspRequest(requestDer);
    if (request.requests.length === 1 && !request.nonce) {
      if (this.parsedRequests.size >= MAX_CACHED) this.parsedRequests.delete(this.parsedRequests.keys().next().value as string);
      this.parsedRequests.set(key, request);
    }
    return request;
  }

  private statusOf(entry: OcspEntry | undefined, issuerCertificate: Buffer): CertificateStatus {
    if (!entry || !this.ca.certificate(entry.issuerCa).equals(issuerCertificate)) return { status: 'unknown' };
    return certificateStatus(entry);
  }

  /** Entries of the serials: from the cache, the rest with one query (none when everything is cached). */
  private async entries(serials: readonly string[]): Promise<Map<string, OcspEntry>> {
    const found = new Map<string, OcspEntry>();
    const missing: string[] = [];
    for (const serial of serials) {
      const cached = this.cache.get(serial);
      if (cached) found.set(serial, cached);
      else missing.push(serial);
    }
    if (missing.length === 0) return found;
    const generation = this.invalidations;
    this.statusQueries.inc();
    const read = await this.store.ocspEntries(missing);
    // Cache a row only if its serial was not invalidated while we read (else it may predate a change we were told about).
    const cacheable = (serial: string) => this.events.listening && this.resetAt <= generation && (this.invalidatedAt.get(serial) ?? 0) <= generation;
    for (const [serial, entry] of read) {
      found.set(serial, entry);
      if (!cacheable(serial)) continue;
      if (this.cache.size >= MAX_CACHED) this.cache.delete(this.cache.keys().next().value as string);
      this.cache.set(serial, entry);
    }
    return found;
  }
}
