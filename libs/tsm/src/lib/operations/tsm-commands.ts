import { Inject, Injectable } from '@nestjs/common';
import { seidOf, type SeAddress } from '@jpki/contracts';
import { MessageContext } from '@jpki/messaging';
import { createLogger } from '@jpki/observability';
import { SagaHost } from '@jpki/saga';
import { ScriptForwarding } from '../ota/script-forwarding';
import { SecureElementStore } from '../ports/secure-element-store';
import { TSM_SETTINGS, type TsmSettings } from '../ports/tsm-settings';
import type { OperationData, OperationKind, ScriptForwardRequest } from './operation-data';
import { OperationLog } from './operation-log';
import { OtaQueue } from './queue';

/** A request that names its card. */
type CardRequest = SeAddress & { requestId: string };
type Extra = { msisdn?: string; ssdAid?: string };

/**
 * The admission of the requester's commands, called by the message handlers in the inbox transaction. Each card
 * operation becomes a saga keyed by its requestId (a forwarded script is only sent and awaited); a repeated requestId
 * gets the recorded reply again instead of a second operation.
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
  async forward(ctx: MessageContext, p: CardRequest & ScriptForwardRequest): Promise<void> {
    const data = await this.admitOnCard(ctx, 'script-forward', p, {});
    if (!data) return;
    await this.ops.start(ctx.manager, data, {});
    await this.forwarding.forward(ctx.manager, data, p);
  }

  /** Lock, unlock and delete wait in the card's OTA queue. */
  async enqueue(ctx: MessageContext, kind: OperationKind, p: CardRequest & { ssdAid: string }, operation: 'lock' | 'unlock' | 'delete', queueIfUnreachable: boolean): Promise<void> {
    const data = await this.admitOnCard(ctx, kind, p, {});
    if (!data) return;
    await this.ops.start(ctx.manager, data, { ssdAid: p.ssdAid });
    await this.queue.enqueue(ctx.manager, { iccid: data.iccid, requestId: p.requestId, operation, ssdAid: p.ssdAid.toUpperCase(), queueIfUnreachable });
    await this.queue.drain(ctx.manager, data.iccid);
  }

  /** Starts the saga of a card operation (saga id `<kind>:<requestId>`). */
  async startOnCard(ctx: MessageContext, kind: OperationKind, p: CardRequest & { ssdAid?: string }): Promise<void> {
    const extra = p.ssdAid ? { ssdAid: p.ssdAid } : {};
    const data = await this.admitOnCard(ctx, kind, p, extra);
    if (data) await this.create(ctx, data, extra);
  }

  /**
   * Starts the app's eligibility saga: the request names a subscriber (`msisdn`) or a card (`seid`) that the saga
   * itself answers for, known or not.
   */
  async startEligibility(ctx: MessageContext, p: { requestId: string }, about: { msisdn: string } | { seid: string }): Promise<void> {
    const data = await this.admit(ctx, 'eligibility', p, 'seid' in about ? about.seid : undefined);
    if (data) await this.create(ctx, data, 'msisdn' in about ? { msisdn: about.msisdn } : {});
  }

  private async create(ctx: MessageContext, data: OperationData, extra: Extra): Promise<void> {
    const sagaId = `${data.kind}:${data.requestId}`;
    await this.ops.start(ctx.manager, data, { ...extra, sagaId });
    await this.sagas.engine.create(ctx.manager, data.kind, sagaId, data);
  }

  /**
   * `admit` for a card this TSM must know: a request for a card outside its fleet is answered SIM_UNKNOWN at once.
   * (A command for another carrier or kind of card never gets here: the inbox dead-letters it, CARRIER_MISMATCH.)
   */
  private async admitOnCard(ctx: MessageContext, kind: OperationKind, p: CardRequest, extra: Extra): Promise<(OperationData & { iccid: string }) | undefined> {
    const seid = seidOf(p);
    const data = await this.admit(ctx, kind, p, seid);
    if (!data) return undefined;
    if (await this.sims.find(seid, ctx.manager)) return { ...data, iccid: seid };
    await this.ops.start(ctx.manager, data, extra);
    await this.ops.reply(ctx.manager, data, this.ops.failure(data, 'SIM_UNKNOWN', `no SIM ${seid} in the ${this.settings.identity} fleet`));
    return undefined;
  }

  /** Answers a repeated requestId from the record; otherwise returns the saga data. */
  private async admit(ctx: MessageContext, kind: OperationKind, p: { requestId: string }, seid: string | undefined): Promise<OperationData | undefined> {
    const data: OperationData = { ...this.data(ctx, kind, p), ...(seid ? { iccid: seid } : {}) };
    const existing = await this.ops.find(ctx.manager, p.requestId, kind);
    if (!existing) return data;
    this.log.info({ requestId: p.requestId, kind, status: existing.status }, 'repeated request');
    if (existing.result && existing.status !== 'running') await this.ops.reply(ctx.manager, data, existing.result, existing.status === 'queued' ? 'queued' : 'completed');
    return undefined;
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
