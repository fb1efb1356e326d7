import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { CommandApdu, fromHex } from '@jpki/globalplatform';
import { WakeableLoop } from '@jpki/messaging';
import { createLogger } from '@jpki/observability';
import type { CardOperationData, OperationData, ScriptForwardRequest } from '../operations/operation-data';
import { OperationLog } from '../operations/operation-log';
import { ScriptTamper } from '../operations/script-tamper';
import { SecureElementStore } from '../ports/secure-element-store';
import { TSM_SETTINGS, type TsmSettings } from '../ports/tsm-settings';
import { TsmWire } from '../tsm-wire';
import { OtaBearer, type OtaScriptResult } from './ota-bearer';

const SCRIPT_PREFIX = 'fwd/';
const SWEEP_FALLBACK_MS = 5_000;

/**
 * Forwards the SP's APDUs unread as one script, without a saga: the request is checked and the script sent in the
 * transaction that consumes the request, the card's answer becomes the reply in the transaction that consumes it,
 * and a loop re-sends the same scriptId when no answer came in time (the vSIM runs a scriptId at most once and
 * replays its result). Nothing else holds state between the two, so a crash in between loses nothing.
 */
@Injectable()
export class ScriptForwarding implements OnModuleInit, OnApplicationShutdown {
  private readonly log = createLogger('script-forwarding');
  /**
   * Every send wakes the sweep when its answer is due; the slow poll finds what other replicas (or this process before
   * a restart) sent.
   */
  private readonly resends = new WakeableLoop(
    () => this.resendOverdue(),
    () => SWEEP_FALLBACK_MS,
    (err) => this.log.error({ err }, 'OTA re-send sweep failed'),
  );
  private readonly due = new Set<NodeJS.Timeout>();

  constructor(
    private readonly ds: DataSource,
    private readonly bearer: OtaBearer,
    private readonly ops: OperationLog,
    private readonly tamper: ScriptTamper,
    private readonly sims: SecureElementStore,
    private readonly wire: TsmWire,
    @Inject(TSM_SETTINGS) private readonly settings: TsmSettings,
  ) {}

  onModuleInit(): void {
    this.resends.start();
  }

  async onApplicationShutdown(): Promise<void> {
    this.due.forEach((t) => clearTimeout(t));
    await this.resends.stop();
  }

  /** Runs the sweep when an answer to a script sent now is overdue. */
  private sweepWhenDue(): void {
    const timer = setTimeout(() => {
      this.due.delete(timer);
      this.resends.nudge();
    }, this.settings.otaResponseTimeoutMs + 20);
    timer.unref();
    this.due.add(timer);
  }

  /** Refuses what the OTA path cannot carry, or sends the script; the reply comes with the card's answer. */
  async forward(m: EntityManager, d: CardOperationData, req: ScriptForwardRequest): Promise<void> {
    const refusal = await this.refusal(m, d.iccid, req);
    if (refusal) return this.ops.reply(m, d, this.ops.failure(d, refusal.reason, refusal.detail));
    const script = { scriptId: `${SCRIPT_PREFIX}${req.requestId}`, seid: d.iccid, apdus: this.tamper.apply(d.iccid, req.apdus) };
    await m.query(
      `INSERT INTO ota_forward (script_id, request_id, iccid, apdus, operation, resend_at) VALUES ($1, $2, $3, $4, $5, now() + ($6 || ' milliseconds')::interval)`,
      [script.scriptId, req.requestId, script.seid, JSON.stringify(script.apdus), d, String(this.settings.otaResponseTimeoutMs)],
    );
    await this.bearer.send(m, script, d.correlationId, 1);
    this.sweepWhenDue();
  }

  /** The card's answer to a forwarded script: the reply to the SP (a duplicate answer is ignored). `false`: not a forward. */
  async completed(m: EntityManager, p: OtaScriptResult): Promise<boolean> {
    if (!p.scriptId.startsWith(SCRIPT_PREFIX)) return false;
    const [[row]] = await m.query(`UPDATE ota_forward SET completed_at = now() WHERE script_id = $1 AND completed_at IS NULL RETURNING operation`, [p.scriptId]);
    if (!row) return true;
    const d = row.operation as OperationData;
    if (p.outcome === 'unknown-sim') {
      await this.ops.reply(m, d, this.ops.failure(d, 'SIM_UNKNOWN', `the OTA bearer has no SIM ${p.seid}`));
      return true;
    }
    const reply = this.wire.forwarded({ requestId: d.requestId, seid: p.seid, outcome: p.outcome, responses: p.outcome === 'executed' ? p.responses : [] });
    await this.ops.reply(m, d, reply);
    return true;
  }

  private async refusal(m: EntityManager, seid: string, req: ScriptForwardRequest): Promise<{ reason: string; detail: string } | undefined> {
    const sim = await this.sims.find(seid, m);
    if (sim?.state === 'manufacturing') return { reason: 'SIM_NOT_ACTIVE', detail: `SIM ${seid} is still being manufactured` };
    for (const [i, text] of req.apdus.entries()) {
      let apdu: CommandApdu;
      try {
        apdu = CommandApdu.parse(fromHex(text));
      } catch (err) {
        return { reason: 'APDU_MALFORMED', detail: `APDU ${i}: ${(err as Error).message}` };
      }
      if (apdu.data.length > this.settings.profile.maxApduDataBytes) {
        return {
          reason: 'APDU_TOO_LARGE',
          detail: `APDU ${i} carries ${apdu.data.length} bytes; the ${this.settings.identity} OTA path takes ${this.settings.profile.maxApduDataBytes}`,
        };
      }
    }
    return undefined;
  }

  /** Re-sends overdue scripts (same scriptId); after the last send the SP is told OTA_NO_RESPONSE. Replicas skip each other's rows. */
  private async resendOverdue(): Promise<void> {
    await this.ds.transaction(async (m) => {
      const overdue: { script_id: string; iccid: string; apdus: string[]; operation: OperationData; sends: number }[] = await m.query(
        `SELECT script_id, iccid, apdus, operation, sends FROM ota_forward WHERE completed_at IS NULL AND resend_at <= now()
          ORDER BY resend_at LIMIT 100 FOR UPDATE SKIP LOCKED`,
      );
      for (const row of overdue) {
        if (row.sends >= this.settings.otaMaxSends) {
          await m.query(`UPDATE ota_forward SET completed_at = now() WHERE script_id = $1`, [row.script_id]);
          await this.ops.reply(m, row.operation, this.ops.failure(row.operation, 'OTA_NO_RESPONSE', `no response to script ${row.script_id} after ${row.sends} sends`));
          continue;
        }
        await m.query(`UPDATE ota_forward SET sends = sends + 1, resend_at = now() + ($2 || ' milliseconds')::interval WHERE script_id = $1`, [
          row.script_id,
          String(this.settings.otaResponseTimeoutMs),
        ]);
        await this.bearer.send(m, { scriptId: row.script_id, seid: row.iccid, apdus: row.apdus }, row.operation.correlationId, row.sends + 1);
        this.sweepWhenDue();
      }
    });
  }
}
