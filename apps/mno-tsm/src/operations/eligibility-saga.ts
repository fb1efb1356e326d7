import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { EligibilityAnswered, EligibilityRequested, MVNOS, type PayloadOf } from '@jpki/contracts';
import { StepFailure, type SagaData, type SagaDefinition, type StepContext } from '@jpki/saga';
import { CardAccess, OperationSteps, type OperationData } from '@jpki/tsm';
import { carrierForm } from '../carrier-addressing';
import type { MnoTsmSettings } from '../config';
import { FleetService } from '../fleet/fleet.service';
import { MNO_SETTINGS } from '../tokens';

type Ctx = StepContext<OperationData>;
type Answer = PayloadOf<typeof EligibilityAnswered>;

/**
 * Eligibility: the subscriber, its MVNO and SIM generation from the fleet (assess), then the card itself (card-memory):
 * its free memory as it reports it, and an INITIALIZE UPDATE that proves it holds the ICCID's ISD keys and tells the
 * sequence counter the SSD creation predicts from.
 */
@Injectable()
export class EligibilitySaga {
  readonly definition: SagaDefinition<SagaData>;

  constructor(
    private readonly ds: DataSource,
    private readonly card: CardAccess,
    private readonly fleet: FleetService,
    @Inject(MNO_SETTINGS) private readonly settings: MnoTsmSettings,
    private readonly steps: OperationSteps,
  ) {
    this.definition = steps.saga('eligibility', [
      steps.local('assess', (c: Ctx) => this.assess(c), 'assessed'),
      steps.card('card-memory', (c: Ctx) => this.cardMemory(c), 'answered'),
    ]);
  }

  private async assess(ctx: Ctx): Promise<Partial<OperationData>> {
    const req = carrierForm(ctx.data.request as PayloadOf<typeof EligibilityRequested>);
    const refuse = (reason: string, extra: Partial<Answer> = {}) => ({
      result: { type: EligibilityAnswered.type, payload: { requestId: req.requestId, carrier: this.settings.carrier, msisdn: req.msisdn, eligible: false, reason, ...extra } },
    });
    if (req.mvno && MVNOS[req.mvno].hostCarrier !== this.settings.carrier) return refuse('MVNO_MISMATCH', { mvno: req.mvno });
    const sub = await this.fleet.latestByMsisdn(this.ds.manager, req.msisdn);
    if (!sub) return refuse('SUBSCRIBER_UNKNOWN');
    const known = { iccid: sub.iccid, ...(sub.mvno ? { mvno: sub.mvno } : {}), simGeneration: sub.generation };
    if ((sub.mvno ?? undefined) !== req.mvno) return refuse('MVNO_MISMATCH', known);
    if (sub.status !== 'active' || sub.sim_state !== 'active') return refuse('SUBSCRIBER_NOT_ACTIVE', known);
    if (!this.settings.profile.simGenerations[sub.generation]?.supportsJpkiApplet) return refuse('SIM_GENERATION_UNSUPPORTED', known);
    return { iccid: sub.iccid, request: { ...req, known } };
  }

  /** Free memory as the card reports it, not the fleet estimate. */
  private async cardMemory(ctx: Ctx): Promise<Partial<OperationData>> {
    const req = carrierForm(ctx.data.request as PayloadOf<typeof EligibilityRequested> & { known: Record<string, string> });
    const iccid = ctx.data.iccid;
    if (!iccid) throw new StepFailure('SUBSCRIBER_UNKNOWN', 'no SIM resolved for the subscriber', false);
    const sim = await this.steps.requireSim(iccid);
    const answer = (eligible: boolean, reason?: string, freeMemoryBytes?: number) => ({
      result: {
        type: EligibilityAnswered.type,
        payload: {
          requestId: req.requestId,
          carrier: this.settings.carrier,
          msisdn: req.msisdn,
          eligible,
          ...(reason ? { reason } : {}),
          ...req.known,
          ...(freeMemoryBytes !== undefined ? { freeMemoryBytes } : {}),
          maxApduDataBytes: this.settings.profile.maxApduDataBytes,
          scp03KeyBytes: this.settings.profile.scp03KeyBytes,
          scp03SMode: this.settings.profile.scp03SMode,
        },
      },
    });
    try {
      const free = await this.card.freeMemory(ctx, iccid, sim, 'card-memory');
      return free < req.applet.requiredMemoryBytes ? answer(false, 'INSUFFICIENT_MEMORY', free) : answer(true, undefined, free);
    } catch (err) {
      if (err instanceof StepFailure && err.reason === 'SIM_UNREACHABLE') return answer(false, 'SIM_UNREACHABLE');
      throw err;
    }
  }
}
