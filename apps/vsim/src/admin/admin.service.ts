import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { SimReachable } from '@jpki/contracts';
import { Outbox } from '@jpki/messaging';
import { createLogger } from '@jpki/observability';
import { Clock, notFound, SERVICE_CONFIG, type BaseConfig, type OperatorPrincipal } from '@jpki/service-kit';
import { CardStore } from '../cards/card-store';
import type { SimSummary } from '../http-schemas';
import { summarizeSim } from './sim-summary';

export interface PowerState {
  iccid: string;
  carrier: SimSummary['carrier'];
  power: 'on' | 'off';
  changed: boolean;
  changedAt: string | null;
}

/** Operator and integrator controls of the simulated handsets, and read-only inspection of the cards. */
@Injectable()
export class AdminService {
  private readonly log: ReturnType<typeof createLogger>;

  constructor(
    private readonly ds: DataSource,
    private readonly cards: CardStore,
    private readonly outbox: Outbox,
    private readonly clock: Clock,
    @Inject(SERVICE_CONFIG) config: BaseConfig,
  ) {
    this.log = createLogger('vsim.admin', config.LOG_LEVEL);
  }

  /**
   * Handset off (airplane mode, out of coverage) or on again. Either transition is a power cycle of the card: its
   * transient state (logical channels, secure channels, PIN verification) is reset, persistent state — PIN try
   * counters included — is not. Switching on publishes `ota.sim.reachable` in the same transaction.
   */
  async setPower(iccid: string, power: 'on' | 'off', operator: OperatorPrincipal): Promise<PowerState> {
    return this.ds.transaction(async (m) => {
      const sim = await this.cards.lock(m, iccid);
      if (!sim) throw notFound('SIM_NOT_FOUND', `no SIM ${iccid}`);
      const on = power === 'on';
      const changed = sim.handsetOn !== on;
      let changedAt = sim.powerChangedAt;
      if (changed) {
        const now = this.clock.now();
        const handle = this.cards.checkout(sim);
        handle.reset();
        await this.cards.save(m, handle);
        await m.query(`DELETE FROM handset_channel WHERE iccid = $1`, [iccid]);
        await m.query(`UPDATE sim SET handset_on = $2, power_changed_at = $3 WHERE iccid = $1`, [iccid, on, now]);
        if (on) await this.outbox.publish(m, SimReachable, { carrier: sim.carrier, iccid, at: now.toISOString() });
        changedAt = now;
        this.log.info({ iccid, power, operator: operator.sub }, 'handset power changed');
      }
      await this.audit(m, operator, `handset.power-${power}`, iccid, { changed });
      return { iccid, carrier: sim.carrier, power, changed, changedAt: changedAt?.toISOString() ?? null };
    });
  }

  async inspect(iccid: string, operator: OperatorPrincipal): Promise<SimSummary> {
    return this.ds.transaction(async (m) => {
      const sim = await this.cards.find(m, iccid);
      if (!sim) throw notFound('SIM_NOT_FOUND', `no SIM ${iccid}`);
      const channels: { channel: number; aid: string; opened_at: Date }[] = await m.query(
        `SELECT channel, aid, opened_at FROM handset_channel WHERE iccid = $1 ORDER BY channel`,
        [iccid],
      );
      await this.audit(m, operator, 'sim.inspect', iccid, {});
      return summarizeSim(sim, this.cards.openImage(sim), channels);
    });
  }

  private async audit(m: EntityManager, operator: OperatorPrincipal, action: string, iccid: string, details: object): Promise<void> {
    await m.query(`INSERT INTO audit_log (at, actor, action, iccid, details) VALUES ($1, $2, $3, $4, $5)`, [
      this.clock.now(),
      operator.sub,
      action,
      iccid,
      JSON.stringify({ ...details, roles: operator.roles }),
    ]);
  }
}
