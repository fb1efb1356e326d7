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
} from '@jpki/contracts';
import type { MessageContext } from '@jpki/messaging';
import { SagaHost } from '@jpki/saga';

/**
 * Replies from the CA and the MNO-TSMs: each is recorded under its request id, in the inbox
 * transaction, for the saga step waiting on it (possibly in another SP-TSM replica).
 */
@Controller()
export class RepliesController {
  constructor(private readonly sagas: SagaHost) {}

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

  @EventPattern(SsdOperationCompleted.type)
  ssdOperation(@Payload() p: { requestId: string }, @Ctx() ctx: MessageContext) {
    return this.record(p, ctx);
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
