import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  buildDeleteCardContent,
  buildGetStatus,
  buildSetStatus,
  fromHex,
  GetStatusScope,
  Ins,
  isLocked,
  parseGetStatusResponse,
  SetStatusScope,
  Sw,
} from '@jpki/globalplatform';
import { StepFailure, type SagaData, type SagaDefinition, type StepContext, type Transition } from '@jpki/saga';
import { CardAccess } from '../ota/card-access';
import type { IsdCard } from '../ota/isd-card';
import { TsmWire } from '../tsm-wire';
import type { OperationReply, SsdOperationData } from './operation-data';
import { OperationLog } from './operation-log';
import { OperationSteps } from './operation-steps';
import { OtaQueue, SSD_OPERATION_SAGA } from './queue';
import { SsdRecords } from './ssd-records';

const LOCKED = 0x80;
const UNLOCKED = 0x00;

type Outcome = 'done' | 'queued' | 'not-present';

/**
 * Failures after which the card's state is unknown: it did not answer (or the attempt never reached it). Lock,
 * unlock and delete are safe to repeat, so such an operation waits in the queue for the card to answer instead of
 * being reported failed while the card may have done it (unless its requester asked not to wait).
 */
const UNANSWERED = new Set(['OTA_NO_RESPONSE', 'STEP_TIMEOUT', 'STEP_ERROR', 'CARD_BUSY']);

/**
 * Lock, unlock or delete of an SSD through the ISD, one queued operation per saga. A card that cannot be reached
 * sends the operation (and the card's other pending ones) back to the queue, which waits for `ota.sim.reachable`.
 */
@Injectable()
export class SsdOperationSaga {
  readonly definition: SagaDefinition<SagaData>;

  constructor(
    private readonly card: CardAccess,
    private readonly ops: OperationLog,
    private readonly queue: OtaQueue,
    private readonly ssds: SsdRecords,
    private readonly steps: OperationSteps,
    private readonly wire: TsmWire,
  ) {
    this.definition = steps.saga(
      SSD_OPERATION_SAGA,
      [steps.card('apply', (c: StepContext<SsdOperationData>) => this.apply(c), 'applied')],
      (m, t) => this.onTransition(m, t),
    );
  }

  /** SET STATUS P1=60 (the SSD and its applications) or DELETE P2=80 (with related objects) through the ISD. */
  private async apply(ctx: StepContext<SsdOperationData>): Promise<Partial<SsdOperationData>> {
    const d = ctx.data;
    const sim = await this.steps.requireSim(d.iccid);
    const aid = fromHex(d.ssdAid);
    const command =
      d.operation === 'delete' ? buildDeleteCardContent(aid, true) : buildSetStatus(SetStatusScope.DOMAIN_AND_APPLICATIONS, d.operation === 'lock' ? LOCKED : UNLOCKED, aid);
    try {
      const outcome = await this.card.withCard(ctx, d.iccid, () => {
        const isd = this.card.isdCard(this.card.scripts(ctx, d.iccid, 'apply'), d.iccid, sim);
        return isd.run(
          (_script, session): Outcome => (session([command]), 'done'),
          async ({ command: refused, sw }) => {
            if (sw === Sw.REFERENCED_DATA_NOT_FOUND || sw === Sw.FILE_NOT_FOUND) return 'not-present';
            // 6A80 "already in the requested state": an earlier attempt's SET STATUS reached the card, its answer did not.
            if (refused.ins === Ins.SET_STATUS && sw === Sw.WRONG_DATA && (await this.locked(isd, aid)) === (d.operation === 'lock')) return 'done';
            return undefined;
          },
        );
      });
      return { result: this.completed(d, outcome) };
    } catch (err) {
      if (err instanceof StepFailure && err.reason === 'SIM_UNREACHABLE' && d.queueIfUnreachable) return { requeue: true, result: this.completed(d, 'queued') };
      throw err;
    }
  }

  /** The SSD's lock state as the card's registry reports it (GET STATUS by AID through an ISD session). */
  private async locked(isd: IsdCard, aid: Buffer): Promise<boolean> {
    const part = await isd.run((_script, session) => session([buildGetStatus(GetStatusScope.APPLICATIONS, { aidPrefix: aid })]));
    const entry = parseGetStatusResponse(part.data[0], GetStatusScope.APPLICATIONS).find((e) => e.aid.equals(aid));
    return entry !== undefined && isLocked(entry.lifeCycle);
  }

  private completed(d: SsdOperationData, outcome: Outcome): OperationReply {
    return this.wire.ssdOperationCompleted({ requestId: d.requestId, seid: d.iccid, ssdAid: d.ssdAid, operation: d.operation, outcome });
  }

  private async onTransition(m: EntityManager, t: Transition<SagaData>): Promise<void> {
    if (t.status === 'running') return;
    const d = t.data as SsdOperationData;
    if (t.status === 'completed' && d.requeue) return this.backToQueue(m, d);
    if (t.status === 'failed' && d.queueIfUnreachable && UNANSWERED.has(t.failure?.reason ?? '')) return this.backToQueue(m, d, true);
    if (t.status === 'completed' && d.result) {
      await this.queue.finish(m, d.queueId, 'done');
      const outcome = d.result.payload['outcome'];
      await this.ssds.operationApplied(m, d.iccid, d.ssdAid, d.operation === 'delete' || outcome === 'not-present' ? 'deleted' : d.operation === 'lock' ? 'locked' : 'created');
      await this.ops.reply(m, d, d.result);
    } else {
      await this.queue.finish(m, d.queueId, 'failed');
      await this.ops.reply(m, d, this.ops.failure(d, t.failure?.reason ?? 'FAILED', t.failure?.detail));
    }
    await this.queue.drain(m, d.iccid);
  }

  /**
   * The card is unreachable (the queue waits for `ota.sim.reachable`) or did not answer (`retry`: tried again later):
   * this and every other pending operation of it wait (or fail) now.
   */
  private async backToQueue(m: EntityManager, d: SsdOperationData, retry = false): Promise<void> {
    await this.queue.finish(m, d.queueId, 'pending', retry);
    if (!d.queuedNotified) await this.ops.reply(m, d, d.result ?? this.completed(d, 'queued'), 'queued');
    for (const other of await this.queue.pending(m, d.iccid)) {
      if (other.queueId === d.queueId || other.queuedNotified) continue;
      if (other.queueIfUnreachable) {
        await this.queue.finish(m, other.queueId, 'pending');
        await this.ops.reply(m, other, this.completed(other, 'queued'), 'queued');
      } else {
        await this.queue.finish(m, other.queueId, 'failed');
        await this.ops.reply(m, other, this.ops.failure(other, 'SIM_UNREACHABLE', `SIM ${other.iccid} is not reachable over the air`));
      }
    }
  }
}
