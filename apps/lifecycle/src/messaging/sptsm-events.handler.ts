import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import {
  EnrollmentCompleted,
  EnrollmentFailed,
  IphoneEnrollmentCompleted,
  ServiceOperationCompleted,
  ServiceRenewalCompleted,
  seidOf,
  type PayloadOf,
} from '@jpki/contracts';
import type { MessageContext } from '@jpki/messaging';
import { ReadModel, type ServiceState } from '../domain/read-model';
import { CaseService } from '../flows/case-service';
import { SystemFlows } from '../flows/system-flows';

const STATE_AFTER: Record<PayloadOf<typeof ServiceOperationCompleted>['operation'], ServiceState> = {
  suspend: 'suspended',
  resume: 'operational',
  terminate: 'terminated',
};

/** `sptsm.events`: completed enrollments (the service is live) and the outcomes of the service operations cases asked for. */
@Controller()
export class SpTsmEventsHandler {
  constructor(
    private readonly read: ReadModel,
    private readonly cases: CaseService,
    private readonly flows: SystemFlows,
  ) {}

  /** The service runs on the phone's SIM (whose closing the carrier may already have told) or on its embedded SE. */
  @EventPattern(EnrollmentCompleted.type)
  async completed(@Payload() p: PayloadOf<typeof EnrollmentCompleted>, @Ctx() ctx: MessageContext): Promise<void> {
    const m = ctx.manager;
    const number = { msisdn: p.msisdn, carrier: p.carrier, ...(p.mvno ? { mvno: p.mvno } : {}) };
    const sim = 'iccid' in p ? await this.read.lockSim(m, p.iccid, { carrier: p.carrier, msisdn: p.msisdn }) : undefined;
    const { phone } = await this.read.upsertPhone(m, {
      enrollmentId: p.enrollmentId,
      personId: p.personId,
      serial: p.serial,
      device: 'iccid' in p ? { kind: 'sim', iccid: p.iccid, ...number } : { kind: 'ese', seid: p.seid, ...number },
      keyMode: p.keyMode,
      serviceState: 'operational',
    });
    if (sim?.closedAt) await this.flows.closedSimLate(m, phone, sim, 'enrollment-completed');
  }

  /** An iPhone phone (no SIM, no SSD: the certificate is the whole service; loss and found act at the CA only). */
  @EventPattern(IphoneEnrollmentCompleted.type)
  async iphoneCompleted(@Payload() p: PayloadOf<typeof IphoneEnrollmentCompleted>, @Ctx() ctx: MessageContext): Promise<void> {
    await this.read.upsertPhone(ctx.manager, {
      enrollmentId: p.enrollmentId,
      personId: p.personId,
      serial: p.serial,
      device: { kind: 'iphone', deviceId: p.deviceId },
      keyMode: p.method,
      serviceState: 'none',
    });
  }

  @EventPattern(EnrollmentFailed.type)
  async failed(@Payload() p: PayloadOf<typeof EnrollmentFailed>, @Ctx() ctx: MessageContext): Promise<void> {
    await ctx.manager.query(`UPDATE phone SET service_state = 'none', updated_at = now() WHERE enrollment_id = $1 AND service_state = 'provisioning'`, [p.enrollmentId]);
  }

  @EventPattern(ServiceOperationCompleted.type)
  async operation(@Payload() p: PayloadOf<typeof ServiceOperationCompleted>, @Ctx() ctx: MessageContext): Promise<void> {
    const m = ctx.manager;
    if (!p.requestId.startsWith('case-')) return;
    await this.cases.engine.recordReply(m, p.requestId, ctx.envelope.type, p, ctx.envelope.correlationId);
    if ('iccid' in p) await this.read.lockSim(m, p.iccid);
    const seid = seidOf(p);
    if (p.outcome === 'queued') await this.read.applyServiceState(m, seid, null, p.operation);
    else if (p.outcome === 'done') await this.read.applyServiceState(m, seid, STATE_AFTER[p.operation], null);
    else await this.read.applyServiceState(m, seid, null, null);
    await this.cases.onServiceOutcome(m, p.requestId, p.outcome === 'failed' ? `failed:${p.reason ?? 'unknown'}` : p.outcome);
  }

  @EventPattern(ServiceRenewalCompleted.type)
  async renewal(@Payload() p: PayloadOf<typeof ServiceRenewalCompleted>, @Ctx() ctx: MessageContext): Promise<void> {
    if (p.requestId.startsWith('case-')) await this.cases.engine.recordReply(ctx.manager, p.requestId, ctx.envelope.type, p, ctx.envelope.correlationId);
  }
}
