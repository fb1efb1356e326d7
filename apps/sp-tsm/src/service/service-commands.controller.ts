import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import {
  ServiceOperationCompleted,
  ServiceResumeRequested,
  ServiceSuspendRequested,
  ServiceTerminateRequested,
  type PayloadOf,
  seidOf,
  seTargetOf,
  type SeTarget,
} from '@jpki/contracts';
import type { MessageContext } from '@jpki/messaging';
import { SagaHost } from '@jpki/saga';
import { ServiceInstances, type ServiceOperation } from './service-instances';
import { ServiceOperationSaga, type ServiceOperationData } from './service-operation-saga';

/** Lifecycle requests on a SIM's service instance; each becomes a service-operation saga (idempotent per request id). */
@Controller()
export class ServiceCommandsController {
  constructor(
    private readonly sagas: SagaHost,
    private readonly operations: ServiceOperationSaga,
    private readonly instances: ServiceInstances,
  ) {}

  @EventPattern(ServiceSuspendRequested.type)
  suspend(@Payload() p: PayloadOf<typeof ServiceSuspendRequested>, @Ctx() ctx: MessageContext) {
    return this.start('suspend', p, true, ctx);
  }

  @EventPattern(ServiceResumeRequested.type)
  resume(@Payload() p: PayloadOf<typeof ServiceResumeRequested>, @Ctx() ctx: MessageContext) {
    return this.start('resume', p, true, ctx);
  }

  @EventPattern(ServiceTerminateRequested.type)
  terminate(@Payload() p: PayloadOf<typeof ServiceTerminateRequested>, @Ctx() ctx: MessageContext) {
    return this.start('terminate', p, p.queueIfUnreachable, ctx);
  }

  private async start(operation: ServiceOperation, p: { requestId: string } & SeTarget, queue: boolean, ctx: MessageContext): Promise<void> {
    if (await this.sagas.engine.get(p.requestId, ctx.manager)) return;
    const seid = seidOf(p);
    const instance = await this.instances.lock(ctx.manager, seid);
    if (!instance || instance.state === 'terminated') {
      await ctx.publish(ServiceOperationCompleted, { requestId: p.requestId, ...seTargetOf(seid), operation, outcome: 'not-deployed' });
      return;
    }
    const data: ServiceOperationData = {
      requestId: p.requestId,
      operation,
      seid,
      carrier: instance.carrier,
      ssdAid: instance.ssdAid,
      appletAid: instance.appletAid,
      enrollmentId: instance.enrollmentId,
      queueIfUnreachable: queue,
    };
    await this.sagas.engine.create(ctx.manager, this.operations.definition.kind, p.requestId, data);
  }
}
