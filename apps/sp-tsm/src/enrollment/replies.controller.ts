import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import {
  AuditCompleted,
  CertificateIssuanceFailed,
  CertificateIssued,
  EligibilityAnswered,
  IdentityProofingCompleted,
  MnoOperationFailed,
  ScriptForwarded,
  SsdCreated,
  SsdOperationCompleted,
  seidOf,
  type PayloadOf,
} from '@jpki/contracts';
import type { MessageContext } from '@jpki/messaging';
import { SagaHost } from '@jpki/saga';
import { ServiceInstances } from '../service/service-instances';
import { ServiceOperationSaga } from '../service/service-operation-saga';

/**
 * Replies from the CA and the MNO-TSMs: each is recorded under its request id, in the inbox
 * transaction, for the saga step waiting on it (possibly in another SP-TSM replica).
 */
@Controller()
export class RepliesController {
  constructor(
    private readonly sagas: SagaHost,
    private readonly operations: ServiceOperationSaga,
    private readonly instances: ServiceInstances,
  ) {}

  private record(payload: { requestId: string }, ctx: MessageContext): Promise<void> {
    return this.sagas.engine.recordReply(ctx.manager, payload.requestId, ctx.envelope.type, payload, ctx.envelope.correlationId);
  }

  @EventPattern(IdentityProofingCompleted.type)
  proofing(@Payload() p: { requestId: string }, @Ctx() ctx: MessageContext) {
    return this.record(p, ctx);
  }

  @EventPattern(CertificateIssued.type)
  issued(@Payload() p: { requestId: string }, @Ctx() ctx: MessageContext) {
    return this.record(p, ctx);
  }

  @EventPattern(CertificateIssuanceFailed.type)
  issuanceFailed(@Payload() p: { requestId: string }, @Ctx() ctx: MessageContext) {
    return this.record(p, ctx);
  }

  @EventPattern(EligibilityAnswered.type)
  eligibility(@Payload() p: { requestId: string }, @Ctx() ctx: MessageContext) {
    return this.record(p, ctx);
  }

  @EventPattern(SsdCreated.type)
  ssdCreated(@Payload() p: { requestId: string }, @Ctx() ctx: MessageContext) {
    return this.record(p, ctx);
  }

  @EventPattern(ScriptForwarded.type)
  scriptForwarded(@Payload() p: { requestId: string }, @Ctx() ctx: MessageContext) {
    return this.record(p, ctx);
  }

  /** Also the late answer of a queued operation: when it finally ran, the service instance follows. */
  @EventPattern(SsdOperationCompleted.type)
  async ssdOperation(@Payload() p: PayloadOf<typeof SsdOperationCompleted>, @Ctx() ctx: MessageContext) {
    await this.record(p, ctx);
    if (p.outcome !== 'done' && p.outcome !== 'not-present') return;
    const instance = await this.instances.awaiting(ctx.manager, seidOf(p), p.requestId);
    if (!instance?.pendingOperation) return;
    await this.operations.applied(ctx.manager, { ...instance, requestId: p.requestId, operation: instance.pendingOperation });
  }

  @EventPattern(AuditCompleted.type)
  audit(@Payload() p: { requestId: string }, @Ctx() ctx: MessageContext) {
    return this.record(p, ctx);
  }

  @EventPattern(MnoOperationFailed.type)
  mnoFailed(@Payload() p: { requestId: string }, @Ctx() ctx: MessageContext) {
    return this.record(p, ctx);
  }
}
