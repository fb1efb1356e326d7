import { Inject, Injectable } from '@nestjs/common';
import { buildGetData, DataObject, fromHex, parseExtendedCardResources, secureBlockSize, SecurityLevel, type ScriptTransport } from '@jpki/globalplatform';
import { StepFailure, type SagaData, type StepContext } from '@jpki/saga';
import { Clock } from '@jpki/service-kit';
import { IsdKeyDerivation } from '../domain/isd-keys';
import { SecureElementStore, type SecureElement } from '../ports/secure-element-store';
import { TSM_SETTINGS, type TsmSettings } from '../ports/tsm-settings';
import { IsdCard, otaScripts, ScriptIds } from './isd-card';
import { OtaBearer } from './ota-bearer';

/** The TSM's security level with its ISD: command encryption and MAC, response MAC. */
export const ISD_SECURITY_LEVEL = SecurityLevel.C_DECRYPTION_C_MAC_R_MAC;

/**
 * Card access for saga steps: one TSM session per card at a time (a lease on the card, so two
 * operations never interleave their SELECT / INITIALIZE UPDATE on the same card), scripts with ids
 * unique to the step attempt, and ISD secure channels with the card's diversified keyset.
 */
@Injectable()
export class CardAccess {
  readonly isdKeys: IsdKeyDerivation;

  constructor(
    private readonly sims: SecureElementStore,
    private readonly bearer: OtaBearer,
    private readonly clock: Clock,
    @Inject(TSM_SETTINGS) readonly settings: TsmSettings,
  ) {
    this.isdKeys = new IsdKeyDerivation(settings.isdMasterKey, settings.isdKvn);
  }

  /** Runs `fn` holding the card's OTA lease; another holder makes the step retry later (CARD_BUSY). */
  async withCard<T>(ctx: StepContext<SagaData>, seid: string, fn: () => Promise<T>): Promise<T> {
    const leaseMs = Math.max(1_000, ctx.deadline.getTime() - Date.now());
    if (!(await this.sims.lease(seid, ctx.sagaId, leaseMs))) throw new StepFailure('CARD_BUSY', `another operation holds the OTA session of ${seid}`);
    try {
      return await fn();
    } finally {
      await this.sims.release(seid, ctx.sagaId);
    }
  }

  /** OTA scripts from one step attempt, ids unique to the attempt. */
  scripts(ctx: StepContext<SagaData>, seid: string, step: string): ScriptTransport {
    return otaScripts(this.bearer, ctx, seid, ScriptIds.forAttempt(ctx, step));
  }

  /** The card's ISD with this card's diversified keyset, over `scripts`. */
  isdCard(scripts: ScriptTransport, seid: string, sim: SecureElement): IsdCard {
    return new IsdCard(scripts, fromHex(sim.isd_aid), this.isdKeys.forCard(seid, sim.isd_kvn), ISD_SECURITY_LEVEL, this.sims.sequenceCounter(seid));
  }

  /**
   * Free memory as the card reports it (GET DATA FF21, no secure channel needed), recorded; the INITIALIZE UPDATE after
   * it proves the card holds its ISD keys and tells the sequence counter the next session predicts from.
   */
  async freeMemory(ctx: StepContext<SagaData>, seid: string, card: SecureElement, step: string): Promise<number> {
    const free = await this.withCard(ctx, seid, async () => {
      const isd = this.isdCard(this.scripts(ctx, seid, step), seid, card);
      const [resources] = await isd.authenticateCard([buildGetData(DataObject.EXTENDED_CARD_RESOURCES)]);
      return parseExtendedCardResources(resources).freeNonVolatileMemory;
    });
    await this.sims.recordFreeMemory(seid, free, this.clock.now());
    return free;
  }

  /** Largest plain data per command that still fits the profile's APDU size after C-ENC padding and the ISD's S8 C-MAC. */
  get secureBlockSize(): number {
    return secureBlockSize(this.settings.profile.maxApduDataBytes, 8);
  }
}
