import type { MessageDefinition, PayloadInput } from '@jpki/contracts';
import type { EntityManager } from 'typeorm';

export type SagaData = Record<string, unknown>;

/** A failure the step itself understands. `retriable: false` skips the remaining attempts. */
export class StepFailure extends Error {
  constructor(
    readonly reason: string,
    readonly detail: string,
    readonly retriable = true,
  ) {
    super(`${reason}: ${detail}`);
  }
}

export interface Reply {
  type: string;
  payload: Record<string, unknown>;
}

export interface StepContext<D extends SagaData> {
  readonly sagaId: string;
  readonly kind: string;
  readonly data: D;
  /** 1 for the first run of this step; a crash or a failure makes the next run attempt + 1. */
  readonly attempt: number;
  readonly deadline: Date;
  /** Aborted when the step's deadline passes or the engine stops. */
  readonly signal: AbortSignal;
  /** A transaction of its own (e.g. to publish a command through the outbox). */
  transaction<T>(fn: (manager: EntityManager) => Promise<T>): Promise<T>;
  /** The reply recorded for `correlationKey`, if any. */
  reply(correlationKey: string): Promise<Reply | undefined>;
  /** Waits (until the step deadline) for the reply recorded for `correlationKey`. */
  awaitReply(correlationKey: string): Promise<Reply>;
  /** Waits at most `timeoutMs` for the reply recorded for `correlationKey` (woken when one is recorded); undefined if none came. */
  replyWithin(correlationKey: string, timeoutMs: number): Promise<Reply | undefined>;
  /**
   * Request/reply over events: unless a reply for `correlationKey` is already recorded, publishes
   * the command through the outbox, then waits for the reply. The command must carry the
   * correlation key (e.g. as its requestId) so the reply handler can record it.
   */
  request<D extends MessageDefinition>(definition: D, payload: PayloadInput<D>, correlationKey: string): Promise<Reply>;
}

export interface SagaStep<D extends SagaData> {
  name: string;
  /** Deadline of one attempt. */
  timeoutMs: number;
  maxAttempts: number;
  /** Domain state entered when the step completes (unchanged if absent). */
  stateAfter?: string;
  /** Must be idempotent: after a crash it runs again from the start. Returns data to merge. */
  run(ctx: StepContext<D>): Promise<Partial<D> | void>;
  /** Undoes the step's effect when a later step fails for good; best effort, must be idempotent. */
  compensate?(ctx: StepContext<D>): Promise<void>;
}

export interface Transition<D extends SagaData> {
  sagaId: string;
  kind: string;
  fromState: string;
  toState: string;
  step: string | null;
  status: 'running' | 'completed' | 'failed';
  data: D;
  failure?: { reason: string; detail: string; step: string };
}

export interface SagaDefinition<D extends SagaData> {
  kind: string;
  initialState: string;
  /** State of a saga that failed for good (after compensation). */
  failedState: string;
  steps: SagaStep<D>[];
  /** Runs in the transaction that records each state change (e.g. publish an event via the outbox). */
  onTransition?(manager: EntityManager, t: Transition<D>): Promise<void>;
}

export interface SagaRecord<D extends SagaData = SagaData> {
  id: string;
  kind: string;
  state: string;
  step: string | null;
  status: 'running' | 'compensating' | 'completed' | 'failed';
  data: D;
  attempt: number;
  /** Grows with every change of step, attempt or status (a view's ETag). */
  version: number;
  failureReason: string | null;
  failureDetail: string | null;
  createdAt: Date;
  updatedAt: Date;
}
