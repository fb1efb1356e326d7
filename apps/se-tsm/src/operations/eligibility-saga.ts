import { Inject, Injectable } from '@nestjs/common';
import { EligibilityAnswered, EligibilityRequested, type PayloadOf } from '@jpki/contracts';
import { StepFailure, type SagaData, type SagaDefinition, type StepContext } from '@jpki/saga';
import { CardAccess, OperationSteps, type OperationData, type OperationReply } from '@jpki/tsm';
import type { SeTsmSettings } from '../config';
import { eseForm } from '../ese-addressing';
import { HANDSET_MODELS } from '../domain/handset-models';
import { EseStore } from '../fleet/secure-element-store';
import { SE_TSM_SETTINGS } from '../tokens';

type Ctx = StepContext<OperationData>;
type Answer = Extract<PayloadOf<typeof EligibilityAnswered>, { seid: string }>;

/**
 * Eligibility of an eSE by its SEID: known, active and of a handset model that can host the JPKI applet (assess),
 * then the card itself (card-memory): its free memory as it reports it, and an INITIALIZE UPDATE that proves it holds
 * the SEID's ISD keys and tells the sequence counter the SSD creation predicts from. Eligible: with the SCP03 profile.
 */
@Injectable()
export class EseEligibilitySaga {
  readonly definition: SagaDefinition<SagaData>;

  constructor(
    private readonly card: CardAccess,
    private readonly store: EseStore,
    @Inject(SE_TSM_SETTINGS) private readonly settings: SeTsmSettings,
    steps: OperationSteps,
  ) {
    this.definition = steps.saga('eligibility', [
      steps.local('assess', (c: Ctx) => this.assess(c), 'assessed'),
      steps.card('card-memory', (c: Ctx) => this.cardMemory(c), 'answered'),
    ]);
  }

  private async assess(ctx: Ctx): Promise<Partial<OperationData>> {
    const req = eseForm(ctx.data.request as PayloadOf<typeof EligibilityRequested>);
    const se = await this.store.find(req.seid);
    if (!se) return this.answer(req, { eligible: false, reason: 'SE_UNKNOWN' });
    if (se.state !== 'active') return this.answer(req, { eligible: false, reason: 'SE_NOT_ACTIVE', model: se.model });
    if (!HANDSET_MODELS[se.model]?.supportsJpkiApplet) return this.answer(req, { eligible: false, reason: 'MODEL_UNSUPPORTED', model: se.model });
    return {};
  }

  private async cardMemory(ctx: Ctx): Promise<Partial<OperationData>> {
    const req = eseForm(ctx.data.request as PayloadOf<typeof EligibilityRequested>);
    const se = await this.store.find(req.seid);
    if (!se) throw new StepFailure('SE_UNKNOWN', `no eSE ${req.seid}`, false);
    const { scp03KeyBytes, scp03SMode, maxApduDataBytes } = this.settings.profile;
    const profile = { model: se.model, maxApduDataBytes, scp03KeyBytes, scp03SMode };
    try {
      const free = await this.card.freeMemory(ctx, req.seid, se, 'card-memory');
      const enough = free >= req.applet.requiredMemoryBytes;
      return this.answer(req, { eligible: enough, ...(enough ? {} : { reason: 'INSUFFICIENT_MEMORY' }), freeMemoryBytes: free, ...profile });
    } catch (err) {
      if (err instanceof StepFailure && err.reason === 'SIM_UNREACHABLE') return this.answer(req, { eligible: false, reason: 'SE_UNREACHABLE', ...profile });
      throw err;
    }
  }

  private answer(req: { requestId: string; seid: string }, answer: Omit<Answer, 'requestId' | 'seid'>): { result: OperationReply } {
    return { result: { type: EligibilityAnswered.type, payload: { requestId: req.requestId, seid: req.seid, ...answer } } };
  }
}
