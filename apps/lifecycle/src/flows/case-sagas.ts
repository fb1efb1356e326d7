import { Inject, Injectable } from '@nestjs/common';
import {
  CertificateStatusChanged,
  RevocationRefused,
  RevocationRequested,
  ServiceOperationCompleted,
  ServiceRenewalCompleted,
  type LifecycleCaseKind,
  type PayloadOf,
  seidOf,
} from '@jpki/contracts';
import { sagaSteps, StepFailure, type SagaDefinition, type SagaStep, type StepBuilder, type StepContext } from '@jpki/saga';
import type { LifecycleConfig } from '../config';
import { ReadModel } from '../domain/read-model';
import { LIFECYCLE_CONFIG } from '../tokens';
import { CaseService } from './case-service';
import type { CaseData } from './case-types';

type Ctx = StepContext<CaseData>;
type Step = SagaStep<CaseData>;

/**
 * One saga kind per case kind. Commands were published when the case opened; steps wait for the replies the
 * message handlers record (`saga_reply`, keyed by request id), so a restart loses nothing and a reply that came
 * before the step ran is found at once.
 *
 * | kind | steps |
 * |---|---|
 * | loss | certificate-hold → ssd-lock |
 * | found | hold-release → ssd-unlock (failing for good: the certificate goes back on hold) |
 * | revocation | certificate-revocation → service-termination |
 * | device-change | old-service-termination |
 * | sim-swap, contract-end | certificate-revocation → service-termination |
 * | card-revocation, card-renewal | phone-certificates-revoked (the CA's cascade, observed) → service-terminations |
 * | renewal | renewal (SP-TSM: card check → CA re-issues on the same key → certificate written) |
 */
@Injectable()
export class CaseSagas {
  readonly definitions: SagaDefinition<CaseData>[];
  /** Every case step waits for replies to commands sent when the case opened. */
  private readonly step: StepBuilder<CaseData>;

  constructor(
    @Inject(LIFECYCLE_CONFIG) config: LifecycleConfig,
    private readonly cases: CaseService,
    private readonly read: ReadModel,
  ) {
    this.step = sagaSteps<CaseData, 'request'>({ request: { timeoutMs: config.CASE_STEP_TIMEOUT_MS, maxAttempts: config.CASE_STEP_MAX_ATTEMPTS } }).request;
    const flows: Record<LifecycleCaseKind, Step[]> = {
      loss: [this.ca('certificate-hold', 'certificate-held'), this.sp('ssd-lock', 'ssd-locked')],
      found: [this.ca('hold-release', 'hold-released', (ctx) => this.holdAgain(ctx)), this.sp('ssd-unlock', 'ssd-unlocked')],
      revocation: [this.ca('certificate-revocation', 'certificate-revoked'), this.sp('service-termination', 'service-terminated')],
      'device-change': [this.sp('old-service-termination', 'old-service-terminated')],
      'sim-swap': [this.ca('certificate-revocation', 'certificate-revoked'), this.sp('service-termination', 'service-terminated')],
      'contract-end': [this.ca('certificate-revocation', 'certificate-revoked'), this.sp('service-termination', 'service-terminated')],
      'card-revocation': [this.cascade(), this.sp('service-terminations', 'services-terminated')],
      'card-renewal': [this.cascade(), this.sp('service-terminations', 'services-terminated')],
      renewal: [this.renewal()],
    };
    this.definitions = Object.entries(flows).map(([kind, steps]) => ({
      kind,
      initialState: 'opened',
      failedState: 'failed',
      steps,
      onTransition: (m, t) => this.cases.onTransition(m, t),
    }));
  }

  /** The CA's answer to the command sent when the case opened: a status change, or a refusal. */
  private ca(name: string, stateAfter: string, compensate?: Step['compensate']): Step {
    const run = async (ctx: Ctx) => {
      const d = ctx.data;
      if (!d.caRequestId) return { caOutcome: 'not-needed' };
      const reply = await ctx.awaitReply(d.caRequestId);
      if (reply.type === RevocationRefused.type) {
        const refusal = reply.payload as PayloadOf<typeof RevocationRefused>;
        if (d.caRefusalFails) throw new StepFailure(refusal.reason, refusal.detail ?? 'the CA refused', false);
        return { caOutcome: `refused:${refusal.reason}` };
      }
      const change = reply.payload as PayloadOf<typeof CertificateStatusChanged>;
      return { caOutcome: change.status === 'on-hold' ? 'on-hold' : change.status === 'good' ? 'released' : `revoked:${change.reason ?? 'unspecified'}` };
    };
    return this.step(name, run, { stateAfter, compensate });
  }

  /** A found case whose unlock failed for good: the phone is still reported lost, so its certificate goes back on hold. */
  private async holdAgain(ctx: Ctx): Promise<void> {
    if (ctx.data.caOutcome !== 'released') return;
    const serial = (await this.cases.row(ctx.sagaId))?.serial;
    if (!serial) return;
    const requestId = `${ctx.data.caseId}:ca:hold-again`;
    const reply = await ctx.request(
      RevocationRequested,
      { requestId, target: { by: 'serial', serial }, reason: 'certificateHold', requestedBy: 'lifecycle', comment: 'found case failed: the phone is still reported lost' },
      requestId,
    );
    if (reply.type === RevocationRefused.type) throw new StepFailure('HOLD_AGAIN_REFUSED', JSON.stringify(reply.payload).slice(0, 512));
  }

  /** The SP-TSM's outcome of every service operation of the case (`queued` counts: the carrier runs it later). */
  private sp(name: string, stateAfter: string): Step {
    const run = async (ctx: Ctx) => {
      const outcomes: Record<string, string> = {};
      for (const request of ctx.data.spRequests) {
        const reply = await ctx.awaitReply(request.requestId);
        const p = reply.payload as PayloadOf<typeof ServiceOperationCompleted>;
        if (p.outcome === 'failed') {
          throw new StepFailure(`SERVICE_${request.operation.toUpperCase()}_FAILED`, `${seidOf(request)}: ${p.reason ?? 'the SP-TSM could not'} ${request.operation}`, false);
        }
        outcomes[request.requestId] = p.outcome;
      }
      return { spOutcomes: outcomes };
    };
    return this.step(name, run, { stateAfter });
  }

  /** Card cases: the CA cascades card revocations to the phones in the same transaction; wait until the read model shows it. */
  private cascade(): Step {
    const run = async (ctx: Ctx) => {
      const personId = ctx.data.personId;
      if (!personId) return { caOutcome: 'not-needed' };
      const openedAt = new Date(ctx.data.openedAtMachine);
      const phones = (await this.read.phonesOfPerson(personId)).filter((p) => p.createdAt <= openedAt);
      const active = phones.filter((p) => p.certStatus !== 'revoked');
      if (active.length > 0) throw new StepFailure('PHONE_CERTIFICATE_ACTIVE', `${active.map((p) => p.serial).join(', ')} not revoked yet`);
      return { caOutcome: phones.length > 0 ? 'cascaded' : 'no-phone', revokedSerials: phones.map((p) => p.serial) };
    };
    return this.step('phone-certificates-revoked', run, { stateAfter: 'phones-revoked', maxAttempts: 8 });
  }

  /** The SP-TSM's renewal saga: card check, CA issuance on the same key, certificate write, read back. */
  private renewal(): Step {
    const run = async (ctx: Ctx) => {
      if (!ctx.data.renewalRequestId) throw new StepFailure('RENEWAL_NOT_REQUESTED', 'the case has no renewal request', false);
      const reply = await ctx.awaitReply(ctx.data.renewalRequestId);
      const p = reply.payload as PayloadOf<typeof ServiceRenewalCompleted>;
      if (p.outcome === 'renewed' && p.serial && p.notAfter) return { renewal: { serial: p.serial, notAfter: p.notAfter }, caOutcome: `issued:${p.serial}` };
      throw new StepFailure(p.reason ?? (p.outcome === 'not-deployed' ? 'NOT_DEPLOYED' : 'RENEWAL_FAILED'), p.detail ?? `renewal ${p.outcome}`, false);
    };
    return this.step('renewal', run, { stateAfter: 'renewed' });
  }
}
