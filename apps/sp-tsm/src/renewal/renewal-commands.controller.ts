import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { ServiceRenewalCompleted, ServiceRenewalRequested, type PayloadOf } from '@jpki/contracts';
import type { MessageContext } from '@jpki/messaging';
import { SagaHost } from '@jpki/saga';
import { ServiceInstances } from '../service/service-instances';
import { RenewalSaga, type RenewalData } from './renewal-saga';

/** `sptsm.service.renewal-requested` (from the lifecycle service): one renewal saga per request id. */
@Controller()
export class RenewalCommandsController {
  constructor(
    private readonly sagas: SagaHost,
    private readonly renewals: RenewalSaga,
    private readonly instances: ServiceInstances,
  ) {}

  @EventPattern(ServiceRenewalRequested.type)
  async renew(@Payload() p: PayloadOf<typeof ServiceRenewalRequested>, @Ctx() ctx: MessageContext): Promise<void> {
    if (await this.sagas.engine.get(p.requestId, ctx.manager)) return;
    const instance = await this.instances.lock(ctx.manager, p.iccid);
    const refusal = !instance || instance.state === 'terminated'
      ? { outcome: 'not-deployed' as const }
      : instance.state !== 'operational' || instance.pendingRequest
        ? { outcome: 'failed' as const, reason: 'SERVICE_NOT_OPERATIONAL', detail: `the service on ${p.iccid} is ${instance.state}${instance.pendingRequest ? ' with a queued operation' : ''}` }
        : instance.serial !== p.previousSerial
          ? { outcome: 'failed' as const, reason: 'SERIAL_MISMATCH', detail: `the service on ${p.iccid} runs ${instance.serial}` }
          : instance.personId !== p.personId
            ? { outcome: 'failed' as const, reason: 'PERSON_MISMATCH', detail: `the service on ${p.iccid} belongs to another person` }
            : undefined;
    if (refusal || !instance) {
      await ctx.publish(ServiceRenewalCompleted, { requestId: p.requestId, iccid: p.iccid, previousSerial: p.previousSerial, ...(refusal ?? { outcome: 'not-deployed' }) });
      return;
    }
    const data: RenewalData = {
      requestId: p.requestId,
      iccid: p.iccid,
      carrier: instance.carrier,
      personId: p.personId,
      enrollmentId: instance.enrollmentId,
      previousSerial: p.previousSerial,
      device: p.device,
      ssdAid: instance.ssdAid,
      appletAid: instance.appletAid,
      scp03SMode: instance.scp03SMode,
      maxApduDataBytes: instance.maxApduDataBytes,
    };
    await this.sagas.engine.create(ctx.manager, this.renewals.definition.kind, p.requestId, data);
  }
}
