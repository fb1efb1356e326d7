import type { SagaData, SagaStep } from './saga-definition';

/** The deadline of one attempt and the number of attempts of one kind of step, from the service's configuration. */
export interface StepPolicy {
  readonly timeoutMs: number;
  readonly maxAttempts: number;
}

/** The kinds of step: a command and its reply over events, a card operation over OTA, the service's own database. */
export type StepKind = 'request' | 'card' | 'local';

/** What a step may add to its kind's policy: the state it enters, its compensation, attempts of its own. */
export type StepOptions<D extends SagaData> = Partial<Pick<SagaStep<D>, 'stateAfter' | 'compensate' | 'maxAttempts'>>;

export type StepBuilder<D extends SagaData> = (name: string, run: SagaStep<D>['run'], options?: StepOptions<D>) => SagaStep<D>;

/** The one way to write saga steps: a builder per kind of step the service uses, each with its configured policy. */
export function sagaSteps<D extends SagaData, K extends StepKind>(policies: Record<K, StepPolicy>): Record<K, StepBuilder<D>> {
  const kinds = Object.keys(policies) as K[];
  return Object.fromEntries(
    kinds.map((kind) => [kind, (name: string, run: SagaStep<D>['run'], options: StepOptions<D> = {}) => ({ name, ...policies[kind], ...options, run })]),
  ) as Record<K, StepBuilder<D>>;
}
