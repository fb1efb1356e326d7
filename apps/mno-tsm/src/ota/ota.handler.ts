import { Controller, Inject } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { SimManufactured, SimSwapped, type PayloadOf } from '@jpki/contracts';
import { MessageContext } from '@jpki/messaging';
import { createLogger } from '@jpki/observability';
import { Clock } from '@jpki/service-kit';
import { carrierForm } from '../carrier-addressing';
import type { MnoTsmSettings } from '../config';
import { SimStore } from '../fleet/sim-store';
import { MNO_SETTINGS } from '../tokens';

/** New SIMs (topic `ota.<carrier>.up`, signed by `vsim`); their scripts' answers are the shared `OtaBearerHandler`'s. */
@Controller()
export class OtaUpHandler {
  private readonly log = createLogger('ota-up');

  constructor(
    private readonly sims: SimStore,
    private readonly clock: Clock,
    @Inject(MNO_SETTINGS) private readonly settings: MnoTsmSettings,
  ) {}

  /** A new card exists: the subscriber becomes active, or a SIM swap completes and is notified. */
  @EventPattern(SimManufactured.type)
  async manufactured(@Payload() payload: PayloadOf<typeof SimManufactured>, @Ctx() ctx: MessageContext): Promise<void> {
    const p = carrierForm(payload);
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
}
