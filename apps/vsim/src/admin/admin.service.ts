import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { SimReachable } from '@jpki/contracts';
import { Outbox } from '@jpki/messaging';
import { createLogger } from '@jpki/observability';
import { badRequest, Clock, notFound, requireCarrierScope, SERVICE_CONFIG, type BaseConfig, type OperatorPrincipal } from '@jpki/service-kit';
import type { Carrier } from '@jpki/contracts';
import { OtaBearer, type BearerProfile } from '../bearer/ota-bearer';
import { CardStore } from '../cards/card-store';
import { imeiIsValid, parseDevicePublicKey } from '../handset/handset-auth';
import type { SimSummary } from '../http-schemas';
import { summarizeSim, type ChannelRow } from './sim-summary';

export interface PowerState {
  iccid: string;
  carrier: SimSummary['carrier'];
  power: 'on' | 'off';
  changed: boolean;
  changedAt: string | null;
}

export interface HandsetBinding {
  iccid: string;
  imei: string;
  boundAt: string;
  changed: boolean;
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
    private readonly bearer: OtaBearer,
    @Inject(SERVICE_CONFIG) config: BaseConfig,
  ) {
    this.log = createLogger('vsim.admin', config.LOG_LEVEL);
  }

  bearerState(carrier: Carrier) {
    return { carrier, ...this.bearer.profile(carrier), degraded: this.bearer.degraded(carrier) };
  }

  /** A carrier's OTA bearer degraded (a latency spike, a loss burst: integrators' fault injection) or restored; audited. */
  async setBearer(carrier: Carrier, change: Partial<BearerProfile> | 'configured', operator: OperatorPrincipal) {
    const profile = change === 'configured' ? this.bearer.restore(carrier) : this.bearer.degrade(carrier, change);
    this.log.warn({ carrier, ...profile, operator: operator.sub }, change === 'configured' ? 'OTA bearer restored' : 'OTA bearer degraded');
    await this.ds.transaction((m) => this.audit(m, operator, change === 'configured' ? 'ota-bearer.restore' : 'ota-bearer.degrade', null, { carrier, ...profile }));
    return this.bearerState(carrier);
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
      requireCarrierScope(operator, sim.carrier, `${sim.carrier}'s SIMs`);
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

  /**
   * The SIM is put in a handset (the carrier's shop or the integrator provisioning the phone): from now on only that
   * handset — its IMEI and the device key it proves possession of — may use the handset channel. Moving the SIM to
   * another handset (or a new device key) is a power cycle: channels, secure channels and PIN verification are reset.
   */
  async bindHandset(iccid: string, imei: string, devicePublicKey: string, operator: OperatorPrincipal): Promise<HandsetBinding> {
    if (!imeiIsValid(imei)) throw badRequest('IMEI_INVALID', 'an IMEI is 15 digits, the last one the Luhn check digit of the others');
    const key = parseDevicePublicKey(devicePublicKey);
    if (!key) throw badRequest('DEVICE_KEY_INVALID', 'the device key must be a base64 DER SubjectPublicKeyInfo of an Ed25519 public key');
    const spki = key.export({ type: 'spki', format: 'der' }).toString('base64');
    return this.ds.transaction(async (m) => {
      const sim = await this.cards.lock(m, iccid);
      if (!sim) throw notFound('SIM_NOT_FOUND', `no SIM ${iccid}`);
      requireCarrierScope(operator, sim.carrier, `${sim.carrier}'s SIMs`);
      const [current]: { imei: string; device_public_key: string; bound_at: Date }[] = await m.query(
        `SELECT imei, device_public_key, bound_at FROM handset_binding WHERE iccid = $1`,
        [iccid],
      );
      const changed = !current || current.imei !== imei || current.device_public_key !== spki;
      const boundAt = changed ? this.clock.now() : current.bound_at;
      if (changed) {
        const handle = this.cards.checkout(sim);
        handle.reset();
        await this.cards.save(m, handle);
        await m.query(`DELETE FROM handset_channel WHERE iccid = $1`, [iccid]);
        await m.query(
          `INSERT INTO handset_binding (iccid, imei, device_public_key, bound_at, bound_by) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (iccid) DO UPDATE SET imei = EXCLUDED.imei, device_public_key = EXCLUDED.device_public_key, bound_at = EXCLUDED.bound_at, bound_by = EXCLUDED.bound_by`,
          [iccid, imei, spki, boundAt, operator.sub],
        );
        this.log.info({ iccid, imei, previousImei: current?.imei, operator: operator.sub }, 'SIM put in a handset');
      }
      await this.audit(m, operator, 'handset.bind', iccid, { imei, changed, previousImei: current?.imei ?? null });
      return { iccid, imei, boundAt: boundAt.toISOString(), changed };
    });
  }

  async inspect(iccid: string, operator: OperatorPrincipal): Promise<SimSummary> {
    return this.ds.transaction(async (m) => {
      const sim = await this.cards.find(m, iccid);
      if (!sim) throw notFound('SIM_NOT_FOUND', `no SIM ${iccid}`);
      requireCarrierScope(operator, sim.carrier, `${sim.carrier}'s SIMs`);
      const channels: ChannelRow[] = await m.query(
        `SELECT channel, aid, opened_at, imei, last_used_at FROM handset_channel WHERE iccid = $1 ORDER BY channel`,
        [iccid],
      );
      const [binding]: { imei: string; bound_at: Date }[] = await m.query(`SELECT imei, bound_at FROM handset_binding WHERE iccid = $1`, [iccid]);
      await this.audit(m, operator, 'sim.inspect', iccid, {});
      return summarizeSim(sim, this.cards.openImage(sim), channels, binding);
    });
  }

  /** An operator call the authentication refused, by `anonymous` when no principal was verified. */
  async recordRefusedCall(caller: Pick<OperatorPrincipal, 'sub' | 'roles'>, iccid: string | null, details: object): Promise<void> {
    await this.audit(this.ds.manager, caller, 'operator-call.refused', iccid, details);
  }

  private async audit(m: EntityManager, operator: Pick<OperatorPrincipal, 'sub' | 'roles'>, action: string, iccid: string | null, details: object): Promise<void> {
    await m.query(`INSERT INTO audit_log (at, actor, action, iccid, details) VALUES ($1, $2, $3, $4, $5)`, [
      this.clock.now(),
      operator.sub,
      action,
      iccid,
      JSON.stringify({ ...details, roles: operator.roles }),
    ]);
  }
}
