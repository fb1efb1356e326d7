import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { DataSource, type EntityManager } from 'typeorm';
import { WakeableLoop } from '@jpki/messaging';
import { createLogger } from '@jpki/observability';
import { SagaHost } from '@jpki/saga';
import { Clock } from '@jpki/service-kit';
import { TSM_SETTINGS, type TsmSettings } from '../ports/tsm-settings';
import type { OperationKind, SsdOperationData } from './operation-data';

export const SSD_OPERATION_SAGA = 'ssd-operation';
/** The longest wait before a card that did not answer is tried again. */
const MAX_RETRY_MS = 60_000;
const RETRY_SWEEP_MS = 2_000;

/**
 * The per-card OTA queue: lock, unlock and delete run one at a time per card, in the order they
 * were requested. An operation that finds the card unreachable (and may wait) goes back to
 * `pending`; `ota.sim.reachable` drains the queue again. One whose card did not answer (the outcome on
 * the card is unknown) goes back to `pending` with a `retry_at`, doubling per run: only the card can settle it.
 */
@Injectable()
export class OtaQueue implements OnModuleInit, OnApplicationShutdown {
  private readonly log = createLogger('ota-queue');
  private readonly retries = new WakeableLoop(
    () => this.retryDue(),
    () => RETRY_SWEEP_MS,
    (err) => this.log.error({ err }, 'OTA queue retry sweep failed'),
  );

  constructor(
    private readonly ds: DataSource,
    private readonly moduleRef: ModuleRef,
    private readonly clock: Clock,
    @Inject(TSM_SETTINGS) private readonly settings: TsmSettings,
  ) {}

  onModuleInit(): void {
    this.retries.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.retries.stop();
  }

  async enqueue(
    m: EntityManager,
    entry: { iccid: string; requestId: string; operation: 'lock' | 'unlock' | 'delete'; ssdAid: string; queueIfUnreachable: boolean },
  ): Promise<void> {
    await m.query(
      `INSERT INTO ota_queue (iccid, request_id, operation, ssd_aid, queue_if_unreachable, state, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, 'pending', $6, $6)`,
      [entry.iccid, entry.requestId, entry.operation, entry.ssdAid, entry.queueIfUnreachable, this.clock.now()],
    );
  }

  /** Starts the oldest pending operation of the card unless one is running. */
  async drain(m: EntityManager, iccid: string): Promise<void> {
    await m.query(`SELECT pg_advisory_xact_lock(hashtext('ota-queue:' || $1))`, [iccid]);
    const running = await m.query(`SELECT 1 FROM ota_queue WHERE iccid = $1 AND state = 'running'`, [iccid]);
    if (running.length > 0) return;
    const [next] = await this.pending(m, iccid);
    if (!next) return;
    const [[{ runs }]] = await m.query(`UPDATE ota_queue SET state = 'running', runs = runs + 1, updated_at = $2 WHERE id = $1 RETURNING runs`, [next.queueId, this.clock.now()]);
    const data = next;
    // The saga id names the OTA scriptIds, which the shared vSIM keeps unique across carriers: the identity is part of it.
    const sagaId = `${SSD_OPERATION_SAGA}:${this.settings.identity}:${next.queueId}:${runs}`;
    await this.moduleRef.get(SagaHost, { strict: false }).engine.create(m, SSD_OPERATION_SAGA, sagaId, data);
  }

  /** The card's pending operations in request order, with what their replies need. */
  async pending(m: EntityManager, iccid: string): Promise<SsdOperationData[]> {
    const rows = await m.query(
      `SELECT q.*, o.kind, o.requested_by, o.correlation_id, o.causation_id
         FROM ota_queue q JOIN tsm_operation o ON o.request_id = q.request_id AND o.kind = CASE WHEN q.operation = 'delete' THEN 'ssd-deletion' ELSE 'ssd-status' END
        WHERE q.iccid = $1 AND q.state = 'pending' ORDER BY q.id`,
      [iccid],
    );
    return rows.map((r: Record<string, unknown>) => ({
      requestId: r['request_id'] as string,
      kind: r['kind'] as OperationKind,
      requestedBy: r['requested_by'] as string,
      correlationId: r['correlation_id'] as string,
      causationId: r['causation_id'] as string | null,
      iccid,
      request: {},
      queueId: String(r['id']),
      operation: r['operation'] as SsdOperationData['operation'],
      ssdAid: r['ssd_aid'] as string,
      queueIfUnreachable: r['queue_if_unreachable'] as boolean,
      queuedNotified: r['queued_notified'] as boolean,
    }));
  }

  /**
   * Records the end of a run: done, failed, or back to pending (then `queued` has been notified); `retry` when the
   * card did not answer: the run is tried again after the response timeout, doubled per run, at most a minute.
   */
  async finish(m: EntityManager, queueId: string, state: 'done' | 'failed' | 'pending', retry = false): Promise<void> {
    await m.query(
      `UPDATE ota_queue SET state = $2, queued_notified = queued_notified OR $2 = 'pending', updated_at = $3,
              retry_at = CASE WHEN $4 THEN now() + (least($5::bigint * 2 ^ (runs - 1), $6::bigint) || ' milliseconds')::interval END
        WHERE id = $1`,
      [queueId, state, this.clock.now(), retry, this.settings.otaResponseTimeoutMs, MAX_RETRY_MS],
    );
  }

  /** Drains the queues of cards whose unanswered operation is due again; replicas may race, `drain` runs one at a time. */
  private async retryDue(): Promise<void> {
    const due: { iccid: string }[] = await this.ds.query(`SELECT DISTINCT iccid FROM ota_queue WHERE state = 'pending' AND retry_at <= now() LIMIT 100`);
    for (const { iccid } of due) {
      await this.ds.transaction(async (m) => {
        await m.query(`UPDATE ota_queue SET retry_at = NULL WHERE iccid = $1 AND state = 'pending' AND retry_at <= now()`, [iccid]);
        await this.drain(m, iccid);
      });
    }
  }
}
