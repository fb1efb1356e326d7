import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { DataSource, type EntityManager } from 'typeorm';
import {
  HoldReleaseRequested,
  LifecycleCaseChanged,
  ReenrollmentRequired,
  RevocationRequested,
  ServiceRenewalRequested,
  ServiceResumeRequested,
  ServiceSuspendRequested,
  ServiceTerminateRequested,
  type LifecycleCaseStatus,
  type MessageDefinition,
  type PayloadInput,
  seidOf,
  seTargetOf,
} from '@jpki/contracts';
import { Outbox, outboxMessage, type OutboxMessage } from '@jpki/messaging';
import { createLogger } from '@jpki/observability';
import { SagaHost, type Transition } from '@jpki/saga';
import { Clock } from '@jpki/service-kit';
import { AuditLog } from '../domain/audit-log';
import { queryRows, ReadModel } from '../domain/read-model';
import {
  aggregateServiceOutcome,
  isFinalServiceOutcome,
  toCaseRow,
  type CaseData,
  type CaseRow,
  type OpenCase,
  type SpRequest,
} from './case-types';

const UNIQUE_VIOLATION = '23505';

export class CaseAlreadyOpenError extends Error {}

/** Renewal failures that no later attempt can fix: the person must renew the card and/or apply again. */
export function permanentRenewalFailure(reason: string | null): boolean {
  if (!reason) return false;
  if (reason === 'RENEWAL_TOO_EARLY') return false;
  return (
    reason.startsWith('RENEWAL_') ||
    reason.startsWith('CARD_') ||
    ['NOT_DEPLOYED', 'SERIAL_MISMATCH', 'PERSON_MISMATCH', 'KEY_ALREADY_CERTIFIED', 'PERSON_UNKNOWN', 'LINT_FAILED', 'DEVICE_BOUND_TO_OTHER_PERSON'].includes(reason)
  );
}

/** Renewal refusals that mean the card itself is at its end: the person is told to renew the card and apply again. */
const CARD_BOUND_REFUSALS = new Set(['CARD_CERTIFICATE_EXPIRED', 'CARD_CERTIFICATE_REVOKED', 'CARD_CERTIFICATE_MISSING', 'RENEWAL_NOT_EXTENDING', 'RENEWAL_PREVIOUS_EXPIRED']);

/**
 * Lifecycle cases: each is a row in `lifecycle_case` (what, who, why, outcomes) and a persisted saga of the same
 * id (steps, retries, history). Opening a case records it, creates its saga and publishes its commands (CA and
 * SP-TSM, in parallel) in the caller's transaction, so a loss report reaches the CA as soon as it commits; the
 * saga's steps wait for the replies. A service operation the carrier queued (phone off) ends the saga with the
 * case `waiting-device`; the late `done` completes it.
 */
@Injectable()
export class CaseService {
  private readonly log = createLogger('lifecycle.cases');

  constructor(
    private readonly ds: DataSource,
    private readonly modules: ModuleRef,
    private readonly outbox: Outbox,
    private readonly clock: Clock,
    private readonly audit: AuditLog,
    private readonly read: ReadModel,
  ) {}

  /** The saga engine, looked up when first needed (SagaHost depends on the case sagas, which depend on this service). */
  get engine(): SagaHost['engine'] {
    return this.modules.get(SagaHost, { strict: false }).engine;
  }

  /** Opens a case in the caller's transaction. Throws CaseAlreadyOpenError when the per-phone operator-case index refuses it. */
  async open(m: EntityManager, spec: OpenCase): Promise<CaseRow> {
    const id = `case-${randomUUID()}`;
    const now = this.clock.now();
    const caRequestId = `${id}:ca`;
    const sp = spec.sp;
    const spRequests: SpRequest[] = (sp?.seids ?? []).map((seid, i, all) => ({
      requestId: all.length === 1 ? `${id}:sp` : `${id}:sp:${i}`,
      ...seTargetOf(seid),
      operation: sp?.operation ?? 'terminate',
    }));
    const renewalRequestId = `${id}:renewal`;
    let row: CaseRow;
    try {
      const inserted = await queryRows(
        m,
        `INSERT INTO lifecycle_case (id, kind, status, step, trigger, opened_by, reason, revocation_reason, person_id, enrollment_id, serial, iccid, msisdn, carrier,
           ca_outcome, sp_outcome, sp_requests, result, opened_at)
         VALUES ($1, $2, 'open', NULL, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
         RETURNING *`,
        [
          id,
          spec.kind,
          spec.trigger,
          spec.openedBy,
          spec.reason?.slice(0, 512) ?? null,
          spec.revocationReason ?? (spec.ca?.kind === 'revoke' ? spec.ca.reason : null),
          spec.personId ?? null,
          spec.enrollmentId ?? null,
          spec.serial ?? null,
          spec.iccid ?? null,
          spec.msisdn ?? null,
          spec.carrier ?? null,
          spec.ca || spec.renewal || spec.awaitCascadeOf ? 'pending' : 'not-needed',
          spRequests.length > 0 || spec.renewal ? 'pending' : 'not-needed',
          spRequests.map((r) => r.requestId),
          JSON.stringify(spec.result ?? {}),
          now,
        ],
      );
      row = toCaseRow(inserted[0]);
    } catch (err) {
      if ((err as { code?: string }).code === UNIQUE_VIOLATION) {
        throw new CaseAlreadyOpenError(`an operator case is already open for ${spec.enrollmentId}`);
      }
      throw err;
    }
    const data: CaseData = {
      caseId: id,
      kind: spec.kind,
      spRequests,
      openedAtMachine: new Date().toISOString(),
      ...(spec.ca ? { caRequestId, caRefusalFails: spec.caRefusalFails ?? false } : {}),
      ...(spec.renewal ? { renewalRequestId } : {}),
      ...(spec.awaitCascadeOf ? { personId: spec.awaitCascadeOf } : {}),
    };
    await this.engine.create(m, spec.kind, id, data);
    const messages: OutboxMessage[] = [];
    const publish = <D extends MessageDefinition>(def: D, payload: PayloadInput<D>) => messages.push(outboxMessage(def, payload));

    if (spec.ca?.kind === 'revoke') {
      publish(RevocationRequested, {
        requestId: caRequestId,
        target: spec.ca.target,
        reason: spec.ca.reason,
        requestedBy: spec.ca.requestedBy.slice(0, 128),
        ...(spec.ca.comment ? { comment: spec.ca.comment.slice(0, 512) } : {}),
      });
    } else if (spec.ca?.kind === 'release') {
      publish(HoldReleaseRequested, { requestId: caRequestId, serial: spec.ca.serial, requestedBy: spec.ca.requestedBy.slice(0, 128) });
    }
    for (const r of spRequests) {
      const common = { requestId: r.requestId, ...seTargetOf(seidOf(r)), reason: (sp?.reason ?? 'LIFECYCLE').slice(0, 64) };
      if (r.operation === 'suspend') publish(ServiceSuspendRequested, common);
      else if (r.operation === 'resume') publish(ServiceResumeRequested, common);
      else publish(ServiceTerminateRequested, { ...common, queueIfUnreachable: true });
    }
    if (spec.renewal) {
      publish(ServiceRenewalRequested, {
        requestId: renewalRequestId,
        iccid: spec.renewal.iccid,
        previousSerial: spec.renewal.previousSerial,
        personId: spec.renewal.personId,
        device: spec.renewal.device,
        reason: 'EXPIRY_APPROACHING',
      });
    }
    await this.audit.record(
      {
        actor: spec.openedBy,
        roles: spec.roles,
        action: spec.auditAction,
        target: spec.serial ?? spec.iccid ?? spec.personId ?? null,
        reason: spec.reason ?? null,
        outcome: 'accepted',
        statusCode: spec.trigger === 'operator' ? 202 : undefined,
        caseId: id,
        details: { kind: spec.kind, enrollmentId: spec.enrollmentId ?? null, msisdn: spec.msisdn ?? null, ca: spec.ca ?? null, sp: spec.sp ?? null },
      },
      m,
    );
    messages.push(this.announcement(row));
    await this.outbox.publishAll(m, messages, { correlationId: id });
    this.log.info({ caseId: id, kind: spec.kind, trigger: spec.trigger, serial: spec.serial, iccid: spec.iccid }, 'case opened');
    return row;
  }

  async row(id: string, m: EntityManager = this.ds.manager, forUpdate = false): Promise<CaseRow | undefined> {
    const rows = await queryRows(m, `SELECT * FROM lifecycle_case WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`, [id]);
    return rows[0] && toCaseRow(rows[0]);
  }

  /** Operator cases (loss, found, revocation) still running on this phone. */
  async openOperatorCase(m: EntityManager, enrollmentId: string): Promise<CaseRow | undefined> {
    const rows = await queryRows(
      m,
      `SELECT * FROM lifecycle_case WHERE enrollment_id = $1 AND status = 'open' AND kind IN ('loss', 'found', 'revocation') LIMIT 1`,
      [enrollmentId],
    );
    return rows[0] && toCaseRow(rows[0]);
  }

  async latest(m: EntityManager, where: { enrollmentId?: string; personId?: string; kind?: string; serial?: string; statuses?: LifecycleCaseStatus[] }): Promise<CaseRow | undefined> {
    const rows = await queryRows(
      m,
      `SELECT * FROM lifecycle_case
        WHERE ($1::text IS NULL OR enrollment_id = $1) AND ($2::uuid IS NULL OR person_id = $2) AND ($3::text IS NULL OR kind = $3)
          AND ($4::text IS NULL OR serial = $4) AND ($5::text[] IS NULL OR status = ANY($5))
        ORDER BY created_at DESC LIMIT 1`,
      [where.enrollmentId ?? null, where.personId ?? null, where.kind ?? null, where.serial ?? null, where.statuses ?? null],
    );
    return rows[0] && toCaseRow(rows[0]);
  }

  async list(filter: {
    personId?: string;
    iccid?: string;
    serial?: string;
    enrollmentId?: string;
    kind?: string;
    status?: string;
    carrier?: string;
    limit?: number;
  }): Promise<CaseRow[]> {
    const rows = await queryRows(
      this.ds.manager,
      `SELECT * FROM lifecycle_case
        WHERE ($1::uuid IS NULL OR person_id = $1) AND ($2::text IS NULL OR iccid = $2) AND ($3::text IS NULL OR serial = $3)
          AND ($4::text IS NULL OR enrollment_id = $4) AND ($5::text IS NULL OR kind = $5) AND ($6::text IS NULL OR status = $6)
          AND ($7::text IS NULL OR carrier = $7)
        ORDER BY created_at DESC LIMIT $8`,
      [
        filter.personId ?? null,
        filter.iccid ?? null,
        filter.serial ?? null,
        filter.enrollmentId ?? null,
        filter.kind ?? null,
        filter.status ?? null,
        filter.carrier ?? null,
        filter.limit ?? 50,
      ],
    );
    return rows.map(toCaseRow);
  }

  /** The saga of each case calls this in the transaction that records each of its transitions. */
  async onTransition(m: EntityManager, t: Transition<CaseData>): Promise<void> {
    const row = await this.row(t.sagaId, m, true);
    if (!row) throw new Error(`case ${t.sagaId} has no row`);
    const d = t.data;
    const spOutcomes = mergeOutcomes(row.spOutcomes, d.spOutcomes ?? {});
    let caOutcome = d.caOutcome ?? row.caOutcome;
    let spOutcome = aggregateServiceOutcome(row.spRequests, spOutcomes);
    if (d.kind === 'renewal') spOutcome = d.renewal ? 'certificate-written' : t.status === 'failed' ? 'failed' : 'pending';
    let status: LifecycleCaseStatus = 'open';
    let failure: { reason: string; detail: string } | undefined;
    if (t.status === 'completed') status = spOutcome === 'queued' || spOutcome === 'pending' ? 'waiting-device' : 'completed';
    if (t.status === 'failed') {
      status = 'failed';
      failure = { reason: t.failure?.reason ?? 'UNKNOWN', detail: t.failure?.detail ?? '' };
      if (d.caRequestId && !d.caOutcome) caOutcome = `refused:${failure.reason}`;
      if (d.kind === 'renewal') caOutcome = `refused:${failure.reason}`;
    }
    const closed = status === 'completed' || status === 'failed';
    const result = { ...row.result, ...(d.renewal ? { renewal: d.renewal } : {}), ...(d.revokedSerials ? { revokedSerials: d.revokedSerials } : {}) };
    await m.query(
      `UPDATE lifecycle_case SET status = $2, step = $3, ca_outcome = $4, sp_outcome = $5, sp_outcomes = $6, result = $7,
              failure_reason = $8, failure_detail = $9, closed_at = $10, updated_at = now() WHERE id = $1`,
      [
        row.id,
        status,
        t.status === 'running' ? t.step : null,
        caOutcome,
        spOutcome,
        JSON.stringify(spOutcomes),
        JSON.stringify(result),
        failure?.reason.slice(0, 64) ?? null,
        failure?.detail.slice(0, 2000) ?? null,
        closed ? this.clock.now() : null,
      ],
    );
    if (t.status !== 'running') await this.effects(m, row, d, t);
    await this.announce(m, { ...row, status, step: t.status === 'running' ? t.step : null, failureReason: failure?.reason ?? null });
  }

  /** What a finished case changes in the read model. */
  private async effects(m: EntityManager, row: CaseRow, d: CaseData, t: Transition<CaseData>): Promise<void> {
    if (row.kind === 'found' && t.status === 'completed' && row.enrollmentId && d.caOutcome === 'released') {
      await this.read.setLost(m, row.enrollmentId, false);
    }
    if (row.kind === 'renewal' && t.status === 'failed' && row.personId && CARD_BOUND_REFUSALS.has(t.failure?.reason ?? '')) {
      await this.read.markReenrollment(m, row.personId, 'renewal-refused');
      await this.outbox.publish(
        m,
        ReenrollmentRequired,
        { personId: row.personId, caseId: row.id, cause: 'renewal-refused', serials: row.serial ? [row.serial] : [], detail: `${t.failure?.reason}: ${t.failure?.detail ?? ''}`.slice(0, 512) },
        { correlationId: row.id },
      );
    }
  }

  /**
   * An SP-TSM outcome (also the late `done` of a queued operation): recorded on the case that asked for it;
   * a case waiting for the device completes when nothing is queued any more. The carrier runs a card's queued
   * operations in request order, so a `done` also settles what older cases still had queued on that SIM (the SP-TSM
   * reports only the last queued operation of a SIM when the phone comes back).
   */
  async onServiceOutcome(m: EntityManager, requestId: string, outcome: string): Promise<void> {
    const rows = await queryRows(m, `SELECT * FROM lifecycle_case WHERE sp_requests @> ARRAY[$1::text] FOR UPDATE`, [requestId]);
    if (!rows[0]) return;
    const row = toCaseRow(rows[0]);
    await this.settle(m, row, { [requestId]: outcome });
    if (outcome !== 'done' || !row.iccid) return;
    const older = await queryRows(
      m,
      `SELECT * FROM lifecycle_case WHERE iccid = $1 AND status = 'waiting-device' AND id <> $2 AND created_at < $3 ORDER BY created_at FOR UPDATE`,
      [row.iccid, row.id, row.createdAt],
    );
    for (const other of older.map(toCaseRow)) {
      const implied = Object.fromEntries(other.spRequests.filter((r) => !isFinalServiceOutcome(other.spOutcomes[r])).map((r) => [r, 'done']));
      await this.settle(m, other, implied, requestId);
    }
  }

  private async settle(m: EntityManager, row: CaseRow, outcomes: Record<string, string>, impliedBy?: string): Promise<void> {
    const spOutcomes = mergeOutcomes(row.spOutcomes, outcomes);
    const spOutcome = aggregateServiceOutcome(row.spRequests, spOutcomes);
    const completes = row.status === 'waiting-device' && spOutcome !== 'queued' && spOutcome !== 'pending';
    const status: LifecycleCaseStatus = completes ? 'completed' : row.status;
    await m.query(
      `UPDATE lifecycle_case SET sp_outcomes = $2, sp_outcome = CASE WHEN status = 'open' THEN sp_outcome ELSE $3 END, status = $4,
              closed_at = CASE WHEN $5 THEN $6 ELSE closed_at END,
              result = CASE WHEN $7::text IS NULL THEN result ELSE result || jsonb_build_object('queuedOperationsSettledBy', $7::text) END,
              updated_at = now() WHERE id = $1`,
      [row.id, JSON.stringify(spOutcomes), spOutcome, status, completes, this.clock.now(), impliedBy ?? null],
    );
    if (completes) await this.announce(m, { ...row, status });
  }

  /** `lifecycle.case.changed`: every transition of every case, for whoever follows them. */
  private async announce(m: EntityManager, row: AnnouncedCase): Promise<void> {
    await this.outbox.publishAll(m, [this.announcement(row)], { correlationId: row.id });
  }

  private announcement(row: AnnouncedCase): OutboxMessage {
    return outboxMessage(LifecycleCaseChanged, {
      caseId: row.id,
      kind: row.kind,
      status: row.status,
      step: row.step,
      ...(row.personId ? { personId: row.personId } : {}),
      ...(row.serial ? { serial: row.serial } : {}),
      ...(row.iccid ? { iccid: row.iccid } : {}),
      ...(row.failureReason ? { reason: row.failureReason.slice(0, 64) } : {}),
      at: this.clock.now().toISOString(),
    });
  }
}

type AnnouncedCase = Pick<CaseRow, 'id' | 'kind' | 'status' | 'step' | 'personId' | 'serial' | 'iccid' | 'failureReason'>;

function mergeOutcomes(current: Record<string, string>, incoming: Record<string, string>): Record<string, string> {
  const merged = { ...current };
  for (const [key, value] of Object.entries(incoming)) {
    if (isFinalServiceOutcome(merged[key]) && !isFinalServiceOutcome(value)) continue;
    merged[key] = value;
  }
  return merged;
}
