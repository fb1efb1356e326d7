/**
 * CRL publication per CA: a complete CRL after every status change (debounced, CRL_DEBOUNCE_MS) and at
 * least every CRL_REFRESH_SECONDS (a "base" CRL), plus a delta CRL against the latest base listing the
 * changes since it (released holds as removeFromCRL). CRL numbers are one monotonic sequence per CA (full and
 * delta), allocated under a per-CA advisory lock so replicas never publish the same number or redundant CRLs.
 */
import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { CrlEntryInput } from '@jpki/pki';
import { counter, createLogger } from '@jpki/observability';
import { Clock, SERVICE_CONFIG } from '@jpki/service-kit';
import type { CaConfig } from '../config';
import { wholeSeconds } from '../ra/canonical';
import { CertificateAuthority } from '../signer/certificate-authority';
import type { RevokedEntryRow } from '../storage/ca-store';
import { CaStore } from '../storage/ca-store';
import { publishedReason } from '../storage/certificate-status';
import { ALL_CAS, ISSUING_CAS, type CaId, type CrlRow } from '../storage/types';
import { CaUrls } from '../urls';
import { CaEvents } from './ca-events';

const SCHEDULE_MS = 5_000;
/**
 * A complete CRL costs time in proportion to its entries (about 0.3 s for 1,000 on this 2-core machine, mostly
 * the lint's decoding), on the thread that also answers OCSP and applies status changes. While statuses keep
 * changing, the debounce is at least this many times the last publication's duration, so CRLs take at most about
 * a fifth of the CA's time; OCSP carries every change at once.
 */
const CRL_DEBOUNCE_PER_PUBLISH_TIME = 4;

@Injectable()
export class CrlPublisher implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log = createLogger('jpki-ca.crl');
  private readonly published = counter('ca_crl_published_total', 'CRLs published', ['ca', 'kind']);
  private readonly debounce = new Map<CaId, NodeJS.Timeout>();
  private readonly inFlight = new Map<CaId, Promise<unknown>>();
  private readonly lastPublishMs = new Map<CaId, number>();
  private schedule?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    private readonly store: CaStore,
    private readonly ca: CertificateAuthority,
    private readonly clock: Clock,
    private readonly urls: CaUrls,
    private readonly events: CaEvents,
    @Inject(SERVICE_CONFIG) private readonly config: CaConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.events.onStatus((ca) => {
      if ((ISSUING_CAS as readonly string[]).includes(ca)) this.changed(ca as CaId);
    });
    for (const ca of ALL_CAS) await this.publishIfDue(ca);
    // The environment's clock jumped: CRLs valid "now" must be published before anyone asks.
    this.clock.onChange(() => ALL_CAS.forEach((ca) => void this.run(ca)));
    this.schedule = setInterval(() => {
      for (const ca of ALL_CAS) void this.run(ca);
    }, SCHEDULE_MS);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.schedule);
    this.debounce.forEach((timer) => clearTimeout(timer));
    await Promise.all(this.inFlight.values());
  }

  /** A status of `ca` changed: publish once the burst is over. */
  changed(ca: CaId): void {
    if (this.stopped || this.debounce.has(ca)) return;
    this.debounce.set(
      ca,
      setTimeout(() => {
        this.debounce.delete(ca);
        void this.run(ca);
      }, Math.max(this.config.CRL_DEBOUNCE_MS, CRL_DEBOUNCE_PER_PUBLISH_TIME * (this.lastPublishMs.get(ca) ?? 0))),
    );
  }

  private run(ca: CaId): Promise<unknown> {
    const previous = this.inFlight.get(ca) ?? Promise.resolve();
    const next = previous
      .then(() => (this.stopped ? undefined : this.publishIfDue(ca)))
      .catch((err) => this.log.error({ err, ca }, 'CRL publication failed'));
    this.inFlight.set(ca, next);
    void next.finally(() => {
      if (this.inFlight.get(ca) === next) this.inFlight.delete(ca);
    });
    return next;
  }

  /** Publishes a complete (and delta) CRL when statuses changed since the last one, or when a base is due. */
  publishIfDue(ca: CaId): Promise<CrlRow | undefined> {
    return this.store.withCrlLock(ca, async (manager) => {
      const now = wholeSeconds(this.clock.now());
      const validityMs = this.config.CRL_VALIDITY_SECONDS * 1000;
      const lastChange = await this.store.lastStatusChangeId(manager, ca);
      const latestFull = await this.store.latestCrl(ca, 'full', manager);
      const latestBase = await this.store.latestCrl(ca, 'base', manager);
      const baseDue =
        !latestBase ||
        !latestFull ||
        now.getTime() - latestBase.thisUpdate.getTime() >= this.config.CRL_REFRESH_SECONDS * 1000 ||
        latestFull.nextUpdate.getTime() - now.getTime() < validityMs / 2 ||
        now < latestFull.thisUpdate;
      const changed = !latestFull || latestFull.coveredChangeId < lastChange;
      if (!baseDue && !changed) return undefined;

      const crlNumber = await this.store.nextCrlNumber(manager, ca);
      const nextUpdate = new Date(now.getTime() + validityMs);
      const entries = (await this.store.notGoodEntries(manager, ca)).map((e) => this.entry(e, now));
      const started = performance.now();
      const full = await this.ca.issueCrl(ca, {
        crlNumber,
        thisUpdate: now,
        nextUpdate,
        entries,
        deltaCrlUri: ca === 'root' ? undefined : this.urls.deltaCrl(ca),
      });
      this.lastPublishMs.set(ca, performance.now() - started);
      const fullRow: CrlRow = {
        caId: ca,
        crlNumber,
        baseCrlNumber: null,
        isBase: baseDue,
        thisUpdate: now,
        nextUpdate,
        coveredChangeId: lastChange,
        entries: entries.length,
        der: full,
      };
      await this.store.insertCrl(manager, fullRow);
      this.published.inc({ ca, kind: baseDue ? 'base' : 'full' });

      if (ca !== 'root') {
        const base = baseDue || !latestBase ? fullRow : latestBase;
        const changes = baseDue ? [] : await this.store.changedSince(manager, ca, base.coveredChangeId);
        const deltaEntries = changes.map((e) =>
          e.status === 'good' ? { serialNumber: e.serial, revocationDate: clamp(e.changedAt, now), reason: 'removeFromCRL' as const } : this.entry(e, now),
        );
        const delta = await this.ca.issueCrl(ca, { crlNumber: crlNumber + 1n, baseCrlNumber: base.crlNumber, thisUpdate: now, nextUpdate, entries: deltaEntries });
        await this.store.insertCrl(manager, {
          ...fullRow,
          crlNumber: crlNumber + 1n,
          baseCrlNumber: base.crlNumber,
          isBase: false,
          entries: deltaEntries.length,
          der: delta,
        });
        this.published.inc({ ca, kind: 'delta' });
      }
      this.log.debug({ ca, crlNumber: crlNumber.toString(), entries: entries.length, base: baseDue }, 'CRL published');
      return fullRow;
    });
  }

  private entry(e: RevokedEntryRow, now: Date): CrlEntryInput {
    return {
      serialNumber: e.serial,
      revocationDate: clamp(e.revokedAt ?? e.changedAt, now),
      reason: publishedReason(e.status, e.reason),
    };
  }
}

/** revocationDate may not be after thisUpdate (the simulation clock can be moved back to 0 offset). */
function clamp(date: Date, now: Date): Date {
  return date > now ? now : wholeSeconds(date);
}
