import { Inject, Injectable } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { EntityManager } from 'typeorm';
import { SagaHost } from '@jpki/saga';
import { Clock } from '@jpki/service-kit';
import type { MnoTsmSettings } from '../config';
import { MNO_SETTINGS } from '../tokens';
import type { OperationKind, SsdOperationData } from './operation-data';

export const SSD_OPERATION_SAGA = 'ssd-operation';

/**
 * The per-card OTA queue: lock, unlock and delete run one at a time per ICCID, in the order they
 * were requested. An operation that finds the card unreachable (and may wait) goes back to
 * `pending`; `ota.sim.reachable` drains the queue again.
 */
@Injectable()
export class OtaQueue {
  constructor(
    private readonly moduleRef: ModuleRef,
    private readonly clock: Clock,
    @Inject(MNO_SETTINGS) private readonly settings: MnoTsmSettings,
  ) {}

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
    // The saga id names the OTA scriptIds, which the shared vSIM keeps unique across carriers: the carrier is part of it.
    const sagaId = `${SSD_OPERATION_SAGA}:${this.settings.carrier}:${next.queueId}:${runs}`;
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

  /** Records the end of a run: done, failed, or back to pending (then `queued` has been notified). */
  async finish(m: EntityManager, queueId: string, state: 'done' | 'failed' | 'pending'): Promise<void> {
    await m.query(
      `UPDATE ota_queue SET state = $2, queued_notified = queued_notified OR $2 = 'pending', updated_at = $3 WHERE id = $1`,
      [queueId, state, this.clock.now()],
    );
  }
}
