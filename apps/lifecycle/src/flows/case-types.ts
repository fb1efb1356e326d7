import { seidOfPhone, type PhoneRow } from '../domain/read-model';
import type { Carrier, DeviceBinding, LifecycleCaseKind, LifecycleCaseStatus, LifecycleCaseTrigger, RevocationReason, SeTarget } from '@jpki/contracts';

export type ServiceOperation = 'suspend' | 'resume' | 'terminate';

/** `operation` on the secure element running the phone's service; none for an iPhone (its certificate is the service). */
export function serviceOperationOn(phone: PhoneRow, operation: ServiceOperation, reason: string): OpenCase['sp'] {
  const seid = seidOfPhone(phone);
  return seid ? { operation, seids: [seid], reason } : undefined;
}

/** A service operation the case asks the SP-TSM for, on a SIM (ICCID) or an eSE (SEID). */
export type SpRequest = {
  requestId: string;
  operation: ServiceOperation;
} & SeTarget;

/** What a case's saga carries from step to step. */
export interface CaseData extends Record<string, unknown> {
  caseId: string;
  kind: LifecycleCaseKind;
  /** Request id of the CA command published when the case opened (its reply is awaited). */
  caRequestId?: string;
  /** Whether a CA refusal fails the case (found, revocation) or is an outcome like another (loss, contract end). */
  caRefusalFails?: boolean;
  spRequests: SpRequest[];
  renewalRequestId?: string;
  /** Card cases: the person whose phone certificates the CA cascade must have revoked. */
  personId?: string;
  /** Machine time the case opened (card cases only look at phones that existed then). */
  openedAtMachine: string;
  caOutcome?: string;
  spOutcomes?: Record<string, string>;
  renewal?: { serial: string; notAfter: string };
  revokedSerials?: string[];
}

export type CaCommand =
  | {
      kind: 'revoke';
      target: { by: 'serial'; serial: string } | { by: 'iccid'; iccid: string; carrier?: Carrier } | { by: 'person-phones'; personId: string };
      reason: RevocationReason;
      requestedBy: string;
      comment?: string;
    }
  | { kind: 'release'; serial: string; requestedBy: string };

/** Everything needed to open a case: what it is about, who asked and why, and the commands it sends at once. */
export interface OpenCase {
  kind: LifecycleCaseKind;
  trigger: LifecycleCaseTrigger;
  /** `operator:<sub>` or `system:<source>`. */
  openedBy: string;
  roles?: readonly string[];
  /** Audit action, e.g. `loss.report` or `contract-end.open`. */
  auditAction: string;
  reason?: string;
  revocationReason?: RevocationReason;
  personId?: string;
  enrollmentId?: string;
  serial?: string;
  iccid?: string;
  msisdn?: string;
  carrier?: string;
  ca?: CaCommand;
  caRefusalFails?: boolean;
  /** The service operation on each secure element (SEID: a SIM's ICCID or an eSE's id). */
  sp?: { operation: ServiceOperation; seids: string[]; reason: string };
  renewal?: { previousSerial: string; personId: string; iccid: string; device: DeviceBinding };
  /** Card cases wait for the CA's cascade on this person's phones. */
  awaitCascadeOf?: string;
  result?: Record<string, unknown>;
}

export interface CaseRow {
  id: string;
  kind: LifecycleCaseKind;
  status: LifecycleCaseStatus;
  step: string | null;
  trigger: LifecycleCaseTrigger;
  openedBy: string;
  reason: string | null;
  revocationReason: string | null;
  personId: string | null;
  enrollmentId: string | null;
  serial: string | null;
  iccid: string | null;
  msisdn: string | null;
  carrier: string | null;
  caOutcome: string;
  spOutcome: string;
  spRequests: string[];
  spOutcomes: Record<string, string>;
  result: Record<string, unknown>;
  failureReason: string | null;
  failureDetail: string | null;
  openedAt: Date;
  closedAt: Date | null;
  createdAt: Date;
}

export function toCaseRow(r: Record<string, unknown>): CaseRow {
  return {
    id: r['id'] as string,
    kind: r['kind'] as LifecycleCaseKind,
    status: r['status'] as LifecycleCaseStatus,
    step: (r['step'] as string | null) ?? null,
    trigger: r['trigger'] as LifecycleCaseTrigger,
    openedBy: r['opened_by'] as string,
    reason: (r['reason'] as string | null) ?? null,
    revocationReason: (r['revocation_reason'] as string | null) ?? null,
    personId: (r['person_id'] as string | null) ?? null,
    enrollmentId: (r['enrollment_id'] as string | null) ?? null,
    serial: (r['serial'] as string | null) ?? null,
    iccid: (r['iccid'] as string | null) ?? null,
    msisdn: (r['msisdn'] as string | null) ?? null,
    carrier: (r['carrier'] as string | null) ?? null,
    caOutcome: r['ca_outcome'] as string,
    spOutcome: r['sp_outcome'] as string,
    spRequests: (r['sp_requests'] as string[]) ?? [],
    spOutcomes: (r['sp_outcomes'] as Record<string, string>) ?? {},
    result: (r['result'] as Record<string, unknown>) ?? {},
    failureReason: (r['failure_reason'] as string | null) ?? null,
    failureDetail: (r['failure_detail'] as string | null) ?? null,
    openedAt: r['opened_at'] as Date,
    closedAt: (r['closed_at'] as Date | null) ?? null,
    createdAt: r['created_at'] as Date,
  };
}

/** Final outcomes of the SP-TSM (anything but `queued`) win over earlier ones. */
export function isFinalServiceOutcome(outcome: string | undefined): boolean {
  return outcome !== undefined && outcome !== 'queued';
}

/** One word for all the case's service operations. */
export function aggregateServiceOutcome(requests: readonly string[], outcomes: Record<string, string>): string {
  if (requests.length === 0) return 'not-needed';
  const values = requests.map((r) => outcomes[r] ?? 'pending');
  if (values.some((v) => v.startsWith('failed'))) return 'failed';
  if (values.some((v) => v === 'pending')) return 'pending';
  if (values.some((v) => v === 'queued')) return 'queued';
  if (values.every((v) => v === 'not-deployed')) return 'not-deployed';
  return 'done';
}
