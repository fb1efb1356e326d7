import { Inject, Injectable } from '@nestjs/common';
import { MessageContext } from '@jpki/messaging';
import { createLogger } from '@jpki/observability';
import { SagaHost } from '@jpki/saga';
import { ScriptForwarding } from '../ota/script-forwarding';
import { SecureElementStore } from '../ports/secure-element-store';
import { TSM_SETTINGS, type TsmSettings } from '../ports/tsm-settings';
import type { OperationData, OperationKind, ScriptForwardRequest } from './operation-data';
import { OperationLog } from './operation-log';
import { OtaQueue } from './queue';

type Extra = { iccid?: string; msisdn?: string; ssdAid?: string };

/**
 * The admission of the requester's commands, called by the app's message handlers in the inbox transaction. Each
 * card operation becomes a saga keyed by its requestId (a forwarded script is only sent and awaited); a repeated
 * requestId gets the recorded reply again instead of a second operation.
 */
@Injectable()
export class TsmCommands {
  private readonly log = createLogger('tsm-commands');

  constructor(
    private readonly sagas: SagaHost,
    private readonly ops: OperationLog,
    private readonly queue: OtaQueue,
    private readonly forwarding: ScriptForwarding,
    private readonly sims: SecureElementStore,
    @Inject(TSM_SETTINGS) private readonly settings: TsmSettings,
  ) {}

  /** Forwarding needs no saga: the script goes down in this transaction, the answer comes back as the reply. */
  async forward(ctx: MessageContext, p: ScriptForwardRequest): Promise<void> {
    const data = await this.admit(ctx, 'script-forward', p, { iccid: p.iccid });
    if (!data) return;
    await this.ops.start(ctx.manager, data, {});
    await this.forwarding.forward(ctx.manager, data, p);
  }

  /** Lock, unlock and delete wait in the card's OTA queue. */
  async enqueue(
    ctx: MessageContext,
    kind: OperationKind,
    p: { requestId: string; iccid: string; ssdAid: string },
    operation: 'lock' | 'unlock' | 'delete',
    queueIfUnreachable: boolean,
  ): Promise<void> {
    const data = await this.admit(ctx, kind, p, { iccid: p.iccid });
    if (!data) return;
    await this.ops.start(ctx.manager, data, { ssdAid: p.ssdAid });
    await this.queue.enqueue(ctx.manager, { iccid: p.iccid, requestId: p.requestId, operation, ssdAid: p.ssdAid.toUpperCase(), queueIfUnreachable });
    await this.queue.drain(ctx.manager, p.iccid);
  }

  /** Starts the saga of kind `kind` (saga id `<kind>:<requestId>`). */
  async start(ctx: MessageContext, kind: OperationKind, p: { requestId: string }, extra: Extra): Promise<void> {
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
  private async admit(ctx: MessageContext, kind: OperationKind, p: { requestId: string }, extra: Extra): Promise<OperationData | undefined> {
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
        await this.ops.reply(ctx.manager, data, this.ops.failure(data, 'SIM_UNKNOWN', `no SIM ${extra.iccid} in the ${this.settings.identity} fleet`));
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
