import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { ReenrollmentRequired } from '@jpki/contracts';
import { Outbox } from '@jpki/messaging';
import { createLogger } from '@jpki/observability';
import { Clock } from '@jpki/service-kit';
import type { LifecycleConfig } from '../config';
import { queryRows, ReadModel, type PhoneRow } from '../domain/read-model';
import { CaseService, permanentRenewalFailure } from '../flows/case-service';
import { LIFECYCLE_CONFIG } from '../tokens';

const DAY_MS = 86_400_000;
const BATCH = 200;

/**
 * Renewal and expiry, on the simulation clock (docs/DESIGN.md §3.3):
 * - a phone certificate that is good, on an operational service, not lost, enters the renewal window
 *   (`RENEWAL_WINDOW_DAYS` before notAfter) → a renewal case (the SP-TSM re-issues on the same applet). A renewal the
 *   CA refused for good (card expired, phone certificate already runs to the card's end…) is not tried again and the
 *   person is told to renew the card and apply again; a transient failure (phone off) is retried after
 *   `RENEWAL_RETRY_AFTER_MS` of simulated time;
 * - a phone certificate past its notAfter: the person is told once that the phone must apply again.
 * One sweep at a time across replicas (transaction-scoped advisory lock).
 */
@Injectable()
export class RenewalSweep implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log = createLogger('lifecycle.renewal');
  private timer?: NodeJS.Timeout;

  constructor(
    @Inject(LIFECYCLE_CONFIG) private readonly config: LifecycleConfig,
    private readonly ds: DataSource,
    private readonly read: ReadModel,
    private readonly cases: CaseService,
    private readonly outbox: Outbox,
    private readonly clock: Clock,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.RENEWAL_SWEEP_INTERVAL_MS <= 0) return;
    this.timer = setInterval(() => void this.sweep().catch((err) => this.log.error({ err }, 'renewal sweep failed')), this.config.RENEWAL_SWEEP_INTERVAL_MS);
    this.timer.unref();
  }

  beforeApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  async sweep(): Promise<{ renewalCases: string[]; expiredPhones: string[]; at: string }> {
    const now = this.clock.now();
    return this.ds.transaction(async (m) => {
      const [{ locked }] = await queryRows<{ locked: boolean }>(m, `SELECT pg_try_advisory_xact_lock(hashtext($1)) AS locked`, [`${this.config.DB_SCHEMA}.renewal-sweep`]);
      if (!locked) return { renewalCases: [], expiredPhones: [], at: now.toISOString() };
      const renewalCases: string[] = [];
      const candidates = await this.read.renewalCandidates(now, new Date(now.getTime() + this.config.RENEWAL_WINDOW_DAYS * DAY_MS), BATCH);
      for (const candidate of candidates) {
        if (await this.blocked(m, candidate.serial, now)) continue;
        const id = await this.openRenewal(m, candidate);
        if (id) renewalCases.push(id);
      }
      const expiredPhones: string[] = [];
      for (const phone of await this.read.newlyExpired(now, BATCH)) {
        if (!(await this.read.markExpiredNotified(m, phone.enrollmentId))) continue;
        await this.read.markReenrollment(m, phone.personId, 'certificate-expired');
        await this.outbox.publish(m, ReenrollmentRequired, {
          personId: phone.personId,
          caseId: `expiry-${phone.serial}`,
          cause: 'certificate-expired',
          serials: [phone.serial],
          detail: `phone certificate ${phone.serial} expired at ${phone.notAfter?.toISOString()}`,
        });
        expiredPhones.push(phone.serial);
      }
      if (renewalCases.length || expiredPhones.length) this.log.info({ renewalCases: renewalCases.length, expired: expiredPhones.length, now }, 'renewal sweep');
      return { renewalCases, expiredPhones, at: now.toISOString() };
    });
  }

  /** The last renewal case of this certificate: running or done, failed for good, or failed too recently. */
  private async blocked(m: EntityManager, serial: string, now: Date): Promise<boolean> {
    const [last] = await queryRows<{ status: string; failure_reason: string | null; closed_at: Date | null }>(
      m,
      `SELECT status, failure_reason, closed_at FROM lifecycle_case WHERE kind = 'renewal' AND serial = $1 ORDER BY created_at DESC LIMIT 1`,
      [serial],
    );
    if (!last) return false;
    if (last.status !== 'failed') return true;
    if (permanentRenewalFailure(last.failure_reason)) return true;
    return !!last.closed_at && last.closed_at.getTime() + this.config.RENEWAL_RETRY_AFTER_MS > now.getTime();
  }

  private async openRenewal(m: EntityManager, candidate: PhoneRow): Promise<string | undefined> {
    if (!candidate.iccid) return undefined;
    await this.read.lockSim(m, candidate.iccid);
    const phone = await this.read.phone(candidate.enrollmentId, m, true);
    if (!phone || phone.serial !== candidate.serial || phone.certStatus !== 'good' || phone.lost || !phone.iccid || !phone.msisdn || !phone.carrier) return undefined;
    const device = {
      kind: 'sim' as const,
      iccid: phone.iccid,
      msisdn: phone.msisdn,
      carrier: phone.carrier as 'docomo' | 'kddi' | 'softbank',
      ...(phone.mvno ? { mvno: phone.mvno as 'iijmio' | 'mineo' | 'linemo' } : {}),
    };
    const opened = await this.cases.open(m, {
      kind: 'renewal',
      trigger: 'schedule',
      openedBy: 'system:renewal-sweep',
      auditAction: 'renewal.open',
      reason: `certificate ${phone.serial} expires at ${phone.notAfter?.toISOString()}`,
      personId: phone.personId,
      enrollmentId: phone.enrollmentId,
      serial: phone.serial,
      iccid: phone.iccid,
      msisdn: phone.msisdn,
      carrier: phone.carrier,
      renewal: { previousSerial: phone.serial, personId: phone.personId, iccid: phone.iccid, device },
    });
    return opened.id;
  }
}
