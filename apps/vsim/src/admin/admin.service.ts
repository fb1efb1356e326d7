import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { SimReachable } from '@jpki/contracts';
import { Outbox } from '@jpki/messaging';
import { createLogger } from '@jpki/observability';
import { badRequest, Clock, notFound, requireCarrierScope, SERVICE_CONFIG, type BaseConfig, type OperatorPrincipal } from '@jpki/service-kit';
import { OtaBearer, type BearerProfile, type OtaBearerName } from '../bearer/ota-bearer';
import { CardStore, type SeRow } from '../cards/card-store';
import { seAddressOf } from '../cards/se-address';
import { imeiIsValid, parseDevicePublicKey } from '../handset/handset-auth';
import type { SeSummary } from '../http-schemas';
import { summarizeSe, type ChannelRow } from './se-summary';

export interface PowerState {
  seid: string;
  carrier: SeSummary['carrier'];
  power: 'on' | 'off';
  changed: boolean;
  changedAt: string | null;
}

export interface HandsetBinding {
  seid: string;
  imei: string;
  boundAt: string;
  changed: boolean;
}

/** The card, if the operator may act on it: a carrier-scoped token reaches its own carrier's SIMs only, never an eSE. */
function inScope(se: SeRow | undefined, seid: string, operator: OperatorPrincipal): SeRow {
  if (!se) throw notFound('SIM_NOT_FOUND', `no SIM or eSE ${seid}`);
  requireCarrierScope(operator, se.carrier, se.carrier ? `${se.carrier}'s SIMs` : 'embedded SEs');
  return se;
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

  bearerState(bearer: OtaBearerName) {
    return { carrier: bearer, ...this.bearer.profile(bearer), degraded: this.bearer.degraded(bearer) };
  }

  /** A carrier's OTA bearer or the eSE push channel degraded (a latency spike, a loss burst: integrators' fault injection) or restored; audited. */
  async setBearer(bearer: OtaBearerName, change: Partial<BearerProfile> | 'configured', operator: OperatorPrincipal) {
    const profile = change === 'configured' ? this.bearer.restore(bearer) : this.bearer.degrade(bearer, change);
    this.log.warn({ bearer, ...profile, operator: operator.sub }, change === 'configured' ? 'OTA bearer restored' : 'OTA bearer degraded');
    await this.ds.transaction((m) => this.audit(m, operator, change === 'configured' ? 'ota-bearer.restore' : 'ota-bearer.degrade', null, { carrier: bearer, ...profile }));
    return this.bearerState(bearer);
  }

  /**
   * Handset off (airplane mode, out of coverage) or on again. Either transition is a power cycle of the card: its
   * transient state (logical channels, secure channels, PIN verification) is reset, persistent state — PIN try
   * counters included — is not. Switching on publishes `ota.sim.reachable` (on the SIM's carrier topic, or on
   * `ota.ese.up` for an eSE) in the same transaction.
   */
  async setPower(seid: string, power: 'on' | 'off', operator: OperatorPrincipal): Promise<PowerState> {
    return this.ds.transaction(async (m) => {
      const se = inScope(await this.cards.lock(m, seid), seid, operator);
      const on = power === 'on';
      const changed = se.handsetOn !== on;
      let changedAt = se.powerChangedAt;
      if (changed) {
        const now = this.clock.now();
        await this.powerCycle(m, se);
        await m.query(`UPDATE sim SET handset_on = $2, power_changed_at = $3 WHERE seid = $1`, [seid, on, now]);
        if (on) await this.outbox.publish(m, SimReachable, { ...seAddressOf(se), at: now.toISOString() });
        changedAt = now;
        this.log.info({ seid, power, operator: operator.sub }, 'handset power changed');
      }
      await this.audit(m, operator, `handset.power-${power}`, seid, { changed });
      return { seid, carrier: se.carrier, power, changed, changedAt: changedAt?.toISOString() ?? null };
    });
  }

  /**
   * The card is put in a handset (the carrier's shop or the integrator provisioning the phone; for an eSE, the handset
   * it is built into): from now on only that handset — its IMEI and the device key it proves possession of — may use
   * the handset channel. Moving the card to another handset (or a new device key) is a power cycle: channels, secure
   * channels and PIN verification are reset.
   */
  async bindHandset(seid: string, imei: string, devicePublicKey: string, operator: OperatorPrincipal): Promise<HandsetBinding> {
    if (!imeiIsValid(imei)) throw badRequest('IMEI_INVALID', 'an IMEI is 15 digits, the last one the Luhn check digit of the others');
    const key = parseDevicePublicKey(devicePublicKey);
    if (!key) throw badRequest('DEVICE_KEY_INVALID', 'the device key must be a base64 DER SubjectPublicKeyInfo of an Ed25519 public key');
    const spki = key.export({ type: 'spki', format: 'der' }).toString('base64');
    return this.ds.transaction(async (m) => {
      const se = inScope(await this.cards.lock(m, seid), seid, operator);
      const [current]: { imei: string; device_public_key: string; bound_at: Date }[] = await m.query(
        `SELECT imei, device_public_key, bound_at FROM handset_binding WHERE seid = $1`,
        [seid],
      );
      const changed = !current || current.imei !== imei || current.device_public_key !== spki;
      const boundAt = changed ? this.clock.now() : current.bound_at;
      if (changed) {
        await this.powerCycle(m, se);
        await m.query(
          `INSERT INTO handset_binding (seid, imei, device_public_key, bound_at, bound_by) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (seid) DO UPDATE SET imei = EXCLUDED.imei, device_public_key = EXCLUDED.device_public_key, bound_at = EXCLUDED.bound_at, bound_by = EXCLUDED.bound_by`,
          [seid, imei, spki, boundAt, operator.sub],
        );
        this.log.info({ seid, imei, previousImei: current?.imei, operator: operator.sub }, 'card put in a handset');
      }
      await this.audit(m, operator, 'handset.bind', seid, { imei, changed, previousImei: current?.imei ?? null });
      return { seid, imei, boundAt: boundAt.toISOString(), changed };
    });
  }

  async inspect(seid: string, operator: OperatorPrincipal): Promise<SeSummary> {
    return this.ds.transaction(async (m) => {
      const se = inScope(await this.cards.find(m, seid), seid, operator);
      const channels: ChannelRow[] = await m.query(
        `SELECT channel, aid, opened_at, imei, last_used_at FROM handset_channel WHERE seid = $1 ORDER BY channel`,
        [seid],
      );
      const [binding]: { imei: string; bound_at: Date }[] = await m.query(`SELECT imei, bound_at FROM handset_binding WHERE seid = $1`, [seid]);
      await this.audit(m, operator, 'sim.inspect', seid, {});
      return summarizeSe(se, this.cards.openImage(se), channels, binding);
    });
  }

  /** An operator call the authentication refused, by `anonymous` when no principal was verified. */
  async recordRefusedCall(caller: Pick<OperatorPrincipal, 'sub' | 'roles'>, seid: string | null, details: object): Promise<void> {
    await this.audit(this.ds.manager, caller, 'operator-call.refused', seid, details);
  }

  /** A power cycle of the card: its transient state and the handset's channels are gone. */
  private async powerCycle(m: EntityManager, se: SeRow): Promise<void> {
    const handle = this.cards.checkout(se);
    handle.reset();
    await this.cards.save(m, handle);
    await m.query(`DELETE FROM handset_channel WHERE seid = $1`, [se.seid]);
  }

  private async audit(m: EntityManager, operator: Pick<OperatorPrincipal, 'sub' | 'roles'>, action: string, seid: string | null, details: object): Promise<void> {
    await m.query(`INSERT INTO audit_log (at, actor, action, seid, details) VALUES ($1, $2, $3, $4, $5)`, [
      this.clock.now(),
      operator.sub,
      action,
      seid,
      JSON.stringify({ ...details, roles: operator.roles }),
    ]);
  }
}
