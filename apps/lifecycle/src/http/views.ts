import type { CaseView, PhoneView } from '@jpki/contracts';
import type { SagaRecord } from '@jpki/saga';
import type { PhoneRow, SimRow } from '../domain/read-model';
import type { CaseRow } from '../flows/case-types';


type History = { at: Date; step: string | null; outcome: string; toState: string; detail: string | null }[];

export function caseView(row: CaseRow, saga?: SagaRecord, history: History = []): CaseView {
  return {
    caseId: row.id,
    kind: row.kind,
    status: row.status,
    step: row.step,
    trigger: row.trigger,
    openedBy: row.openedBy,
    reason: row.reason,
    revocationReason: row.revocationReason,
    personId: row.personId,
    enrollmentId: row.enrollmentId,
    serial: row.serial,
    iccid: row.iccid,
    msisdn: row.msisdn,
    carrier: row.carrier,
    outcomes: { certificate: row.caOutcome, service: row.spOutcome, serviceRequests: row.spOutcomes },
    result: row.result,
    failure: row.failureReason ? { reason: row.failureReason, detail: row.failureDetail } : null,
    openedAt: row.openedAt.toISOString(),
    closedAt: row.closedAt?.toISOString() ?? null,
    saga: saga
      ? {
          state: saga.state,
          status: saga.status,
          step: saga.step,
          history: history.map((h) => ({ at: h.at.toISOString(), step: h.step, outcome: h.outcome, toState: h.toState, detail: h.detail })),
        }
      : null,
  };
}

export function phoneView(p: PhoneRow, sim: SimRow | undefined, reenrollmentRequired: boolean, now: Date): PhoneView {
  return {
    enrollmentId: p.enrollmentId,
    personId: p.personId,
    deviceKind: p.deviceKind,
    iccid: p.iccid,
    seid: p.deviceKind === 'ese' ? p.deviceId : null,
    msisdn: p.msisdn,
    carrier: p.carrier,
    mvno: p.mvno,
    serial: p.serial,
    notAfter: p.notAfter?.toISOString() ?? null,
    expired: p.notAfter !== null && p.notAfter <= now,
    certificate: { status: p.certStatus, revocationReason: p.revocationReason },
    service: { state: p.serviceState, pendingOperation: p.pendingOperation },
    lost: p.lost,
    reenrollmentRequired,
    sim: sim ? { closedAt: sim.closedAt?.toISOString() ?? null, closedReason: sim.closedReason, replacedBy: sim.replacedBy } : null,
  };
}
