import { Controller, Inject } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { OtaScriptCompleted, SimManufactured, SimReachable, SimSwapped, type PayloadOf } from '@jpki/contracts';
import { MessageContext } from '@jpki/messaging';
import { createLogger } from '@jpki/observability';
import { SagaHost } from '@jpki/saga';
import { Clock } from '@jpki/service-kit';
import { OtaQueue, ScriptForwarding } from '@jpki/tsm';
import type { MnoTsmSettings } from '../config';
import { SimStore } from '../fleet/sim-store';
import { MNO_SETTINGS } from '../tokens';

/** Messages from the SIMs (topic `ota.<carrier>.up`, signed by `vsim`). */
@Controller()
export class OtaUpHandler {
  private readonly log = createLogger('ota-up');

  constructor(
    private readonly sagas: SagaHost,
    private readonly queue: OtaQueue,
    private readonly forwarding: ScriptForwarding,
    private readonly sims: SimStore,
    private readonly clock: Clock,
    @Inject(MNO_SETTINGS) private readonly settings: MnoTsmSettings,
  ) {}

  /** The response of a script: the reply to a forwarded SP script, or the saga reply under its scriptId (a replayed duplicate is ignored). */
  @EventPattern(OtaScriptCompleted.type)
  async scriptCompleted(@Payload() p: PayloadOf<typeof OtaScriptCompleted>, @Ctx() ctx: MessageContext): Promise<void> {
    if (await this.forwarding.completed(ctx.manager, p)) return;
    await this.sagas.engine.recordReply(ctx.manager, p.scriptId, OtaScriptCompleted.type, { outcome: p.outcome, responses: p.responses, iccid: p.iccid });
  }

  /** A new card exists: the subscriber becomes active, or a SIM swap completes and is notified. */
  @EventPattern(SimManufactured.type)
  async manufactured(@Payload() p: PayloadOf<typeof SimManufactured>, @Ctx() ctx: MessageContext): Promise<void> {
    const m = ctx.manager;
    const now = this.clock.now();
    const sim = await this.sims.activate(m, p.iccid, p.eid ?? null, now);
    if (!sim) {
      this.log.info({ iccid: p.iccid }, 'manufactured SIM is not awaited (unknown, already active or retired)');
      return;
    }
    if (!sim.replaces_iccid) {
      await m.query(`UPDATE subscriber SET status = 'active', updated_at = $2 WHERE iccid = $1 AND status = 'provisioning'`, [p.iccid, now]);
      return;
    }
    const [[sub]] = await m.query(
      `UPDATE subscriber SET iccid = $2, updated_at = $3 WHERE iccid = $1 AND status <> 'cancelled' RETURNING id, msisdn`,
      [sim.replaces_iccid, p.iccid, now],
    );
    if (!sub) return;
    await this.sims.retire(m, sim.replaces_iccid, now);
    await m.query(`UPDATE sim_assignment SET ended_at = $2 WHERE subscriber_id = $1 AND ended_at IS NULL`, [sub.id, now]);
    await m.query(`INSERT INTO sim_assignment (subscriber_id, iccid, assigned_at) VALUES ($1, $2, $3)`, [sub.id, p.iccid, now]);
    await ctx.publish(SimSwapped, { carrier: this.settings.carrier, msisdn: sub.msisdn, oldIccid: sim.replaces_iccid, newIccid: p.iccid, at: now.toISOString() });
  }

  /** The handset attached again: run what waits in its OTA queue. */
  @EventPattern(SimReachable.type)
  async reachable(@Payload() p: PayloadOf<typeof SimReachable>, @Ctx() ctx: MessageContext): Promise<void> {
    await this.queue.drain(ctx.manager, p.iccid);
  }
}
