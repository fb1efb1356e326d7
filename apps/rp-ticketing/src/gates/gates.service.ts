import { randomUUID } from 'node:crypto';
import { HttpStatus, Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import {
  CrlRejectedError,
  CrlStatusSource,
  crlFreshness,
  describeHolderCertificate,
  FallbackStatusSource,
  verifyHolder,
  type HolderVerification,
  type StatusCheck,
} from '@jpki/relying-party';
import { counter, createLogger } from '@jpki/observability';
import { Clock, conflict, DomainHttpException, notFound, SERVICE_CONFIG } from '@jpki/service-kit';
import { Challenges, type ChallengeView } from '../challenges/challenges';
import type { RpTicketingConfig } from '../config';
import { ticketView, type TicketRow } from '../tickets/tickets.service';
import type { CrlRefreshView, EntryRequest, EntryView, GateConfig, GateView } from '../tickets/tickets.schemas';
import { holderRefused, TicketingVerifier } from '../verification/ticketing-verifier';
import { GateCrlCache, type GateCache } from './gate-crl-cache';

interface GateRow {
  gate_id: string;
  event_id: string;
  mode: 'online' | 'offline';
  crl_max_age_seconds: number;
}

const forbidden = (reason: string, message: string, details?: unknown) => new DomainHttpException(HttpStatus.FORBIDDEN, reason, message, details);

/**
 * Entry gates. A gate verifies that the holder signs its challenge with the key of the certificate the
 * ticket is bound to, and the certificate's status: online by OCSP (the cached CRL only when OCSP cannot
 * answer), offline from its cached CRL within a freshness limit. A ticket admits once.
 *
 * Trade-off of offline gates: a certificate revoked or held after the gate's last synchronisation is
 * still admitted until the next one (bounded by crlMaxAgeSeconds, after which the gate refuses everyone
 * with CRL_STALE rather than trust an old list).
 */
@Injectable()
export class GatesService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = createLogger('rp-ticketing.gates');
  private readonly entries = counter('rp_ticketing_entries_total', 'Gate entry attempts by mode and outcome', ['mode', 'outcome']);
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly ds: DataSource,
    private readonly clock: Clock,
    private readonly challenges: Challenges,
    private readonly verifier: TicketingVerifier,
    private readonly crls: GateCrlCache,
    @Inject(SERVICE_CONFIG) private readonly config: RpTicketingConfig,
  ) {}

  onApplicationBootstrap(): void {
    const every = this.config.GATE_CRL_AUTO_REFRESH_SECONDS;
    if (every === 0) return;
    this.timer = setInterval(() => void this.refreshOnlineGates(every).catch((err) => this.log.warn({ err }, 'automatic CRL refresh failed')), Math.min(every, 60) * 1000);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  async configure(gateId: string, config: GateConfig, actor: string): Promise<GateView> {
    const now = this.clock.now();
    await this.ds.query(
      `INSERT INTO gate (gate_id, event_id, mode, crl_max_age_seconds, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)
       ON CONFLICT (gate_id) DO UPDATE SET event_id = $2, mode = $3, crl_max_age_seconds = $4, updated_at = $5`,
      [gateId, config.eventId, config.mode, config.crlMaxAgeSeconds ?? this.config.GATE_CRL_MAX_AGE_SECONDS, now],
    );
    await this.audit(actor, 'gate.configured', gateId, config);
    // A gate is set up while connected: it gets its first CRL right away (best effort).
    if (!(await this.crls.load(gateId).catch(() => undefined))) {
      await this.crls.synchronise(gateId, now).catch((err: unknown) => this.log.warn({ err, gateId }, 'initial CRL synchronisation failed'));
    }
    return this.view(gateId);
  }

  async view(gateId: string): Promise<GateView> {
    const gate = await this.gate(gateId);
    const cache = await this.crls.load(gateId).catch(() => undefined);
    return this.present(gate, cache);
  }

  /** Synchronises the gate's CRL cache with the CA (the sync window of an offline gate, or on demand). */
  async refresh(gateId: string, actor: string): Promise<CrlRefreshView> {
    const gate = await this.gate(gateId);
    let sync: Awaited<ReturnType<GateCrlCache['synchronise']>>;
    try {
      sync = await this.crls.synchronise(gateId, this.clock.now());
    } catch (error) {
      if (error instanceof CrlRejectedError) throw new DomainHttpException(HttpStatus.BAD_GATEWAY, 'CRL_REJECTED', error.message);
      throw new DomainHttpException(HttpStatus.SERVICE_UNAVAILABLE, 'CA_UNREACHABLE', `CRL synchronisation failed: ${(error as Error).message}`);
    }
    await this.audit(actor, 'gate.crl-refreshed', gateId, { kind: sync.kind, bytes: sync.bytes, crlNumber: sync.cache.snapshot.crlNumber.toString() });
    return { ...this.present(gate, sync.cache), sync: { kind: sync.kind, bytes: sync.bytes } };
  }

  async challenge(gateId: string): Promise<ChallengeView> {
    await this.gate(gateId);
    return this.challenges.issue({ purpose: 'gate', gateId });
  }

  async enter(gateId: string, request: EntryRequest): Promise<EntryView> {
    const gate = await this.gate(gateId);
    const entryId = randomUUID();
    const seen: { ticket?: TicketRow; challenge?: true } = {};
    let statusSource: string | undefined;
    let crlNumber: string | undefined;
    try {
      const challenge = await this.challenges.consume(request.challengeId, { purpose: 'gate', gateId });
      seen.challenge = true;
      const ticket = await this.findTicket(gate, request, seen);
      const serial = ticket.holder_serial;
      const now = this.clock.now();
      const verified = await this.verifyAtGate(gate, ticket.holder_certificate, challenge, Buffer.from(request.signature, 'base64'), now);
      statusSource = verified.ok ? verified.status.source : verified.statusSource;
      if (!verified.ok) throw holderRefused(verified, { mode: gate.mode, ticketId: ticket.ticket_id });
      crlNumber = verified.status.crlNumber?.toString();
      const [admitted] = (await this.ds.query(
        `UPDATE ticket SET status = 'used', used_at = $2, used_gate_id = $3, entry_id = $4 WHERE ticket_id = $1 AND status = 'valid' RETURNING ticket_id`,
        [ticket.ticket_id, now, gateId, entryId],
      )) as [unknown[], number];
      if (admitted.length === 0) {
        const [row] = (await this.ds.query(`SELECT * FROM ticket WHERE ticket_id = $1`, [ticket.ticket_id])) as TicketRow[];
        throw this.alreadyUsed(ticket.ticket_id, row);
      }
      await this.record(entryId, gate, now, ticket.ticket_id, serial, 'ADMITTED', verified.status.note ?? null, statusSource ?? null, crlNumber ?? null);
      this.entries.inc({ mode: gate.mode, outcome: 'ADMITTED' });
      const { status } = verified;
      return {
        entryId,
        gateId,
        ticketId: ticket.ticket_id,
        admittedAt: now.toISOString(),
        mode: gate.mode,
        status: {
          source: status.source,
          checkedAt: status.checkedAt.toISOString(),
          ...(status.ocspProducedAt ? { ocspProducedAt: status.ocspProducedAt.toISOString() } : {}),
          ...(status.crlNumber !== undefined ? { crlNumber: status.crlNumber.toString() } : {}),
          ...(status.note ? { note: status.note } : {}),
        },
      };
    } catch (error) {
      if (error instanceof DomainHttpException) {
        // Only attempts on a challenge this gate issued are stored (one per challenge: it is used up); a caller naming no
        // live challenge is counted and logged, so anonymous requests cannot grow the entry log.
        if (seen.challenge) await this.record(entryId, gate, this.clock.now(), seen.ticket?.ticket_id ?? null, seen.ticket?.holder_serial ?? null, error.reason, error.message, statusSource ?? null, crlNumber ?? null);
        this.entries.inc({ mode: gate.mode, outcome: error.reason });
      }
      throw error;
    }
  }

  private async verifyAtGate(gate: GateRow, certificate: Buffer, challenge: Buffer, signature: Buffer, at: Date): Promise<HolderVerification> {
    const cache = await this.crls.load(gate.gate_id).catch((err: unknown) => {
      this.log.warn({ err, gateId: gate.gate_id }, 'cached CRL unusable');
      return undefined;
    });
    const offline = cache ? this.offlineCheck(cache, gate, at) : undefined;
    if (gate.mode === 'offline') {
      if (!offline) return { ok: false, reason: 'CRL_UNAVAILABLE', detail: `gate ${gate.gate_id} has no cached CRL (refresh it while connected)`, statusSource: 'crl' };
      return verifyHolder({ ...offline, challenge, signature, certificate });
    }
    const online = await this.verifier.statusCheck(at, offline ? new FallbackStatusSource(this.verifier.ocsp, offline.holderStatus) : this.verifier.ocsp);
    if ('ok' in online) {
      // Trust or the root CRL unreachable: an online gate without network behaves as an offline one.
      if (!offline) return online;
      const result = await verifyHolder({ ...offline, challenge, signature, certificate });
      return result.ok ? { ...result, status: { ...result.status, note: online.detail } } : result;
    }
    return verifyHolder({ ...online, challenge, signature, certificate });
  }

  private offlineCheck(cache: GateCache, gate: GateRow, at: Date): StatusCheck {
    const maxAgeMs = gate.crl_max_age_seconds * 1000;
    return {
      trust: cache.trust,
      holderStatus: new CrlStatusSource(() => cache.snapshot, maxAgeMs),
      caStatus: new CrlStatusSource(() => cache.root, maxAgeMs),
      at,
    };
  }

  /** The ticket to admit (`seen.ticket` is set as soon as one is found, for the attempt record). */
  private async findTicket(gate: GateRow, request: EntryRequest, seen: { ticket?: TicketRow }): Promise<TicketRow> {
    const presented = request.certificate ? Buffer.from(request.certificate, 'base64') : undefined;
    let holder: ReturnType<typeof describeHolderCertificate> | undefined;
    if (presented) {
      try {
        holder = describeHolderCertificate(presented);
      } catch (error) {
        throw new DomainHttpException(HttpStatus.BAD_REQUEST, 'CERTIFICATE_MALFORMED', (error as Error).message);
      }
    }
    let ticket: TicketRow | undefined;
    if (request.ticketId) {
      [ticket] = (await this.ds.query(`SELECT * FROM ticket WHERE ticket_id = $1`, [request.ticketId])) as TicketRow[];
      if (!ticket) throw notFound('TICKET_UNKNOWN', `no ticket ${request.ticketId}`);
    } else if (holder) {
      [ticket] = (await this.ds.query(
        `SELECT * FROM ticket WHERE holder_spki_sha256 = $1 AND holder_serial = $2 AND event_id = $3 ORDER BY status = 'valid' DESC, purchased_at LIMIT 1`,
        [holder.spkiSha256, holder.serial, gate.event_id],
      )) as TicketRow[];
      if (!ticket) throw notFound('NO_TICKET_FOR_HOLDER', `no ticket for event ${gate.event_id} is bound to certificate ${holder.serial}`);
    }
    if (!ticket) throw notFound('TICKET_UNKNOWN', 'no ticket');
    seen.ticket = ticket;
    if (ticket.event_id !== gate.event_id) {
      throw forbidden('TICKET_NOT_FOR_THIS_EVENT', `the ticket is for event ${ticket.event_id}, this gate admits to ${gate.event_id}`);
    }
    if (holder && (holder.spkiSha256 !== ticket.holder_spki_sha256 || holder.serial !== ticket.holder_serial)) {
      throw forbidden('HOLDER_MISMATCH', `the ticket is bound to certificate ${ticket.holder_serial}, not to ${holder.serial}`);
    }
    // A used ticket is reported only after the holder proved possession (below), like every other ticket state.
    return ticket;
  }

  private alreadyUsed(ticketId: string, row?: TicketRow): DomainHttpException {
    const used = row ? ticketView(row) : undefined;
    return conflict('TICKET_ALREADY_USED', `ticket ${ticketId} was already used${used?.usedAt ? ` at ${used.usedAt} (gate ${used.usedAtGate})` : ''}`, used);
  }

  private async gate(gateId: string): Promise<GateRow> {
    const [gate] = (await this.ds.query(`SELECT gate_id, event_id, mode, crl_max_age_seconds FROM gate WHERE gate_id = $1`, [gateId])) as GateRow[];
    if (!gate) throw notFound('GATE_UNKNOWN', `no gate ${gateId}`);
    return gate;
  }

  private present(gate: GateRow, cache: GateCache | undefined): GateView {
    const freshness = cache ? crlFreshness(cache.snapshot, this.clock.now(), gate.crl_max_age_seconds * 1000) : undefined;
    return {
      gateId: gate.gate_id,
      eventId: gate.event_id,
      mode: gate.mode,
      crlMaxAgeSeconds: gate.crl_max_age_seconds,
      crl:
        cache && freshness
          ? {
              crlNumber: cache.snapshot.crlNumber.toString(),
              thisUpdate: cache.snapshot.thisUpdate.toISOString(),
              nextUpdate: cache.snapshot.nextUpdate?.toISOString() ?? null,
              fetchedAt: cache.fetchedAt.toISOString(),
              revokedEntries: cache.snapshot.entries.size,
              fresh: freshness.fresh,
              ...(freshness.fresh ? {} : { staleDetail: freshness.detail }),
            }
          : null,
    };
  }

  private async refreshOnlineGates(everySeconds: number): Promise<void> {
    const due = (await this.ds.query(
      `SELECT g.gate_id FROM gate g LEFT JOIN gate_crl c ON c.gate_id = g.gate_id WHERE g.mode = 'online' AND (c.fetched_at IS NULL OR c.fetched_at < $1)`,
      [new Date(this.clock.now().getTime() - everySeconds * 1000)],
    )) as { gate_id: string }[];
    for (const { gate_id } of due) await this.crls.synchronise(gate_id, this.clock.now());
  }

  private async record(
    entryId: string,
    gate: GateRow,
    at: Date,
    ticketId: string | null,
    serial: string | null,
    outcome: string,
    detail: string | null,
    statusSource: string | null,
    crlNumber: string | null,
  ): Promise<void> {
    await this.ds.query(
      `INSERT INTO entry_attempt (entry_id, gate_id, at, mode, ticket_id, certificate_serial, outcome, detail, status_source, crl_number)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [entryId, gate.gate_id, at, gate.mode, ticketId, serial, outcome, detail?.slice(0, 1000) ?? null, statusSource, crlNumber],
    );
  }

  private async audit(actor: string, action: string, gateId: string, details: unknown): Promise<void> {
    await this.ds.query(`INSERT INTO audit_log (at, actor, action, gate_id, details) VALUES ($1, $2, $3, $4, $5)`, [this.clock.now(), actor, action, gateId, JSON.stringify(details)]);
  }
}
