import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { messageDefinition } from '@jpki/contracts';
import { Outbox } from '@jpki/messaging';
import { createLogger } from '@jpki/observability';
import { Clock } from '@jpki/service-kit';
import { statusWordOf } from '../ota/isd-card';
import { TsmWire } from '../tsm-wire';
import type { OperationData, OperationKind, OperationReply } from './operation-data';

export interface OperationRow {
  request_id: string;
  kind: OperationKind;
  status: 'running' | 'queued' | 'completed' | 'failed';
  result: OperationReply | null;
}

/**
 * The record of each request (`tsm_operation`) and the publication of its reply, always
 * in the transaction that decides it.
 */
@Injectable()
export class OperationLog {
  private readonly log = createLogger('tsm-operations');

  constructor(
    private readonly outbox: Outbox,
    private readonly clock: Clock,
    private readonly wire: TsmWire,
  ) {}

  async find(m: EntityManager, requestId: string, kind: OperationKind): Promise<OperationRow | undefined> {
    const rows: OperationRow[] = await m.query(`SELECT request_id, kind, status, result FROM tsm_operation WHERE request_id = $1 AND kind = $2`, [requestId, kind]);
    return rows[0];
  }

  async start(m: EntityManager, d: OperationData, extra: { msisdn?: string; ssdAid?: string; sagaId?: string }): Promise<void> {
    await m.query(
      `INSERT INTO tsm_operation (request_id, kind, requested_by, iccid, msisdn, ssd_aid, correlation_id, causation_id, saga_id, status, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'running', $10)`,
      [d.requestId, d.kind, d.requestedBy, d.iccid ?? null, extra.msisdn ?? null, extra.ssdAid ?? null, d.correlationId, d.causationId, extra.sagaId ?? null, this.clock.now()],
    );
  }

  /** Keeps a reply decided before the saga ends (the handover's sealed keyset), so a re-run finds it. */
  async keepResult(m: EntityManager, d: Pick<OperationData, 'requestId' | 'kind'>, result: OperationReply): Promise<void> {
    await m.query(`UPDATE tsm_operation SET result = $3 WHERE request_id = $1 AND kind = $2`, [d.requestId, d.kind, result]);
  }

  /** Publishes the decided reply and closes the operation (`queued` keeps it open). */
  async reply(m: EntityManager, d: OperationData, result: OperationReply, status: 'completed' | 'queued' = 'completed'): Promise<void> {
    const def = messageDefinition(result.type);
    if (!def) throw new Error(`unknown reply type ${result.type}`);
    await this.outbox.publish(m, def, result.payload, { correlationId: d.correlationId, causationId: d.causationId ?? undefined });
    const failed = this.wire.isFailure(result);
    const outcome = failed ? 'failed' : String(result.payload['outcome'] ?? (result.payload['eligible'] === false ? 'refused' : 'done'));
    const reason = (result.payload['reason'] as string | undefined) ?? null;
    await m.query(
      `UPDATE tsm_operation SET status = $3, outcome = $4, reason = $5, status_word = $6, result = $7, completed_at = CASE WHEN $3 = 'queued' THEN NULL ELSE $8::timestamptz END
        WHERE request_id = $1 AND kind = $2`,
      [d.requestId, d.kind, failed ? 'failed' : status, outcome, reason, (result.payload['statusWord'] as string | undefined) ?? null, result, this.clock.now()],
    );
  }

  /** The failure of a request (`mno.operation.failed`), with the status word when the card refused. */
  failure(d: Pick<OperationData, 'requestId' | 'kind' | 'iccid'>, reason: string, detail?: string): OperationReply {
    const statusWord = statusWordOf(detail);
    this.log.warn({ requestId: d.requestId, operation: d.kind, reason, statusWord }, 'TSM operation failed');
    return this.wire.operationFailed({
      requestId: d.requestId,
      seid: d.iccid,
      operation: d.kind,
      reason: reason.slice(0, 64),
      ...(statusWord ? { statusWord } : {}),
      ...(detail ? { detail: detail.slice(0, 1024) } : {}),
    });
  }
}
