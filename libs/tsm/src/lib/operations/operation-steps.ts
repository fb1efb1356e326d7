import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { sagaSteps, StepFailure, type SagaData, type SagaDefinition, type SagaStep, type StepContext, type StepOptions, type Transition } from '@jpki/saga';
import { SecureElementStore, type SecureElement } from '../ports/secure-element-store';
import { TSM_SETTINGS, type TsmSettings } from '../ports/tsm-settings';
import type { OperationData } from './operation-data';
import { OperationLog } from './operation-log';

type Run<D extends SagaData> = (ctx: StepContext<D>) => Promise<Partial<D> | void>;

/**
 * What the TSM's operation sagas share: their step kinds (`card`: OTA scripts, `local`: the database), a step
 * that finds the answer already decided does nothing, and the reply to the requester published in the transaction
 * that ends the saga.
 */
@Injectable()
export class OperationSteps {
  private readonly steps;

  constructor(
    @Inject(TSM_SETTINGS) private readonly settings: TsmSettings,
    private readonly sims: SecureElementStore,
    private readonly ops: OperationLog,
  ) {
    this.steps = sagaSteps<SagaData, 'card' | 'local'>(settings.steps);
  }

  card<D extends SagaData>(name: string, run: Run<D>, stateAfter: string): SagaStep<SagaData> {
    return this.steps.card(name, this.unlessDecided(run), { stateAfter });
  }

  local<D extends SagaData>(name: string, run: Run<D>, stateAfter: string, options: StepOptions<SagaData> = {}): SagaStep<SagaData> {
    return this.steps.local(name, this.unlessDecided(run), { stateAfter, ...options });
  }

  saga(kind: string, steps: SagaStep<SagaData>[], onTransition = (m: EntityManager, t: Transition<SagaData>) => this.reply(m, t)): SagaDefinition<SagaData> {
    return { kind, initialState: 'requested', failedState: 'failed', steps, onTransition };
  }

  /** The answer to the requester when the saga ends: its result, or the failure with its reason. */
  async reply(m: EntityManager, t: Transition<SagaData>): Promise<void> {
    if (t.status === 'running') return;
    const d = t.data as OperationData;
    if (t.status === 'completed' && d.result) return this.ops.reply(m, d, d.result);
    await this.ops.reply(m, d, this.ops.failure(d, t.failure?.reason ?? 'FAILED', t.failure?.detail));
  }

  async requireSim(iccid: string): Promise<SecureElement> {
    const sim = await this.sims.find(iccid);
    if (!sim) throw new StepFailure('SIM_UNKNOWN', `no SIM ${iccid} in the ${this.settings.identity} fleet`, false);
    return sim;
  }

  private unlessDecided<D extends SagaData>(run: Run<D>): Run<SagaData> {
    return (ctx) => (ctx.data['result'] ? Promise.resolve() : run(ctx as unknown as StepContext<D>));
  }
}
