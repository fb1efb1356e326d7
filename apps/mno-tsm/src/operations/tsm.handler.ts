import { Controller, Inject } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import {
  AuditRequested,
  EligibilityRequested,
  ScriptForwardRequested,
  SsdCreationRequested,
  SsdDeletionRequested,
  SsdStatusChangeRequested,
  type PayloadOf,
} from '@jpki/contracts';
import { MessageContext } from '@jpki/messaging';
import { createLogger } from '@jpki/observability';
import { SagaHost } from '@jpki/saga';
import type { MnoTsmSettings } from '../config';
import { ScriptForwarding } from '../ota/script-forwarding';
import { MNO_SETTINGS } from '../tokens';
import { SimStore } from '../fleet/sim-store';
import type { OperationData, OperationKind } from './operation-data';
import { OperationLog } from './operation-log';
import { OtaQueue } from './queue';

/**
 * SP-TSM → MNO-TSM commands (topic `mno.<carrier>.commands`, only envelopes signed by `sp-tsm`
 * reach these handlers). Each card operation becomes a saga keyed by its requestId (a forwarded
 * script is only sent and awaited); a repeated requestId gets the recorded reply again instead of a
 * second operation.
 */
@Controller()
export class TsmCommandHandler {
  private readonly log = createLogger('tsm-commands');

  constructor(
    private readonly sagas: SagaHost,
    private readonly ops: OperationLog,
    private readonly queue: OtaQueue,
    private readonly forwarding: ScriptForwarding,
    private readonly sims: SimStore,
    @Inject(MNO_SETTINGS) private readonly settings: MnoTsmSettings,
  ) {}

  @EventPattern(EligibilityRequested.type)
  async eligibility(@Payload() p: PayloadOf<typeof EligibilityRequested>, @Ctx() ctx: MessageContext): Promise<void> {
    await this.start(ctx, 'eligibility', p, { msisdn: p.msisdn });
  }

  @EventPattern(SsdCreationRequested.type)
  async ssdCreation(@Payload() p: PayloadOf<typeof SsdCreationRequested>, @Ctx() ctx: MessageContext): Promise<void> {
    await this.start(ctx, 'ssd-creation', p, { iccid: p.iccid, ssdAid: p.ssdAid });
  }

  /** Forwarding needs no saga: the script goes down in this transaction, the answer comes back as the reply. */
  @EventPattern(ScriptForwardRequested.type)
  async forward(@Payload() p: PayloadOf<typeof ScriptForwardRequested>, @Ctx() ctx: MessageContext): Promise<void> {
    const data = await this.admit(ctx, 'script-forward', p, { iccid: p.iccid });
    if (!data) return;
    await this.ops.start(ctx.manager, data, {});
    await this.forwarding.forward(ctx.manager, data, p);
  }

  @EventPattern(AuditRequested.type)
  async audit(@Payload() p: PayloadOf<typeof AuditRequested>, @Ctx() ctx: MessageContext): Promise<void> {
    await this.start(ctx, 'audit', p, { iccid: p.iccid });
  }

  @EventPattern(SsdStatusChangeRequested.type)
  async ssdStatus(@Payload() p: PayloadOf<typeof SsdStatusChangeRequested>, @Ctx() ctx: MessageContext): Promise<void> {
    // Lock and unlock always wait for an unreachable card (a lost phone is locked when it next attaches).
    await this.enqueue(ctx, 'ssd-status', p, p.action, true);
  }

  @EventPattern(SsdDeletionRequested.type)
  async ssdDeletion(@Payload() p: PayloadOf<typeof SsdDeletionRequested>, @Ctx() ctx: MessageContext): Promise<void> {
    await this.enqueue(ctx, 'ssd-deletion', p, 'delete', p.queueIfUnreachable);
  }

  private async enqueue(
    ctx: MessageContext,
    kind: OperationKind,
    p: { requestId: string; carrier: string; iccid: string; ssdAid: string },
    operation: 'lock' | 'unlock' | 'delete',
    queueIfUnreachable: boolean,
  ): Promise<void> {
    const data = await this.admit(ctx, kind, p, { iccid: p.iccid });
    if (!data) return;
    await this.ops.start(ctx.manager, data, { ssdAid: p.ssdAid });
    await this.queue.enqueue(ctx.manager, { iccid: p.iccid, requestId: p.requestId, operation, ssdAid: p.ssdAid.toUpperCase(), queueIfUnreachable });
    await this.queue.drain(ctx.manager, p.iccid);
  }

  private async start(ctx: MessageContext, kind: OperationKind, p: { requestId: string; carrier: string }, extra: { iccid?: string; msisdn?: string; ssdAid?: string }): Promise<void> {
    const data = await this.admit(ctx, kind, p, extra);
    if (!data) return;
    const sagaId = `${kind}:${p.requestId}`;
    await this.ops.start(ctx.manager, data, { ...extra, sagaId });
    await this.sagas.engine.create(ctx.manager, kind, sagaId, data);
  }

  /**
   * Answers a repeated requestId from the record, and a request for a SIM outside this fleet at once; otherwise
   * returns the saga data. (A command for another carrier never gets here: the inbox dead-letters it, CARRIER_MISMATCH.)
   */
  private async admit(
    ctx: MessageContext,
    kind: OperationKind,
    p: { requestId: string; carrier: string },
    extra: { iccid?: string; msisdn?: string; ssdAid?: string },
  ): Promise<OperationData | undefined> {
    const existing = await this.ops.find(ctx.manager, p.requestId, kind);
    if (existing) {
      this.log.info({ requestId: p.requestId, kind, status: existing.status }, 'repeated request');
      if (existing.result && existing.status !== 'running') await this.ops.reply(ctx.manager, { ...this.data(ctx, kind, p), iccid: extra.iccid }, existing.result, existing.status === 'queued' ? 'queued' : 'completed');
      return undefined;
    }
    const data: OperationData = { ...this.data(ctx, kind, p), ...(extra.iccid ? { iccid: extra.iccid } : {}) };
    if (extra.iccid) {
      if (!(await this.sims.find(extra.iccid, ctx.manager))) {
        await this.ops.start(ctx.manager, data, extra);
        await this.ops.reply(ctx.manager, data, this.ops.failure(data, 'SIM_UNKNOWN', `no SIM ${extra.iccid} in the ${this.settings.carrier} fleet`));
        return undefined;
      }
    }
    return data;
  }

  private data(ctx: MessageContext, kind: OperationKind, p: { requestId: string }): OperationData {
    return {
      requestId: p.requestId,
      kind,
      requestedBy: ctx.envelope.producer,
      correlationId: ctx.envelope.correlationId,
      causationId: ctx.envelope.messageId,
      request: p as unknown as Record<string, unknown>,
    };
  }
}
