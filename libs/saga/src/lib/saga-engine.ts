import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import type { MessageDefinition, PayloadInput } from '@jpki/contracts';
import { PgListener, WakeableLoop } from '@jpki/messaging';
import { contextOfTraceparent, counter, createLogger, inSpan, markFailed, newWorkContext, runInContext, traceparentOf, type Span } from '@jpki/observability';
import {
  StepFailure,
  type Reply,
  type SagaData,
  type SagaDefinition,
  type SagaRecord,
  type SagaStep,
  type StepContext,
} from './saga-definition';

export interface SagaEngineOptions {
  databaseUrl: string;
  schema: string;
  /** Sagas run at once by this process. */
  concurrency?: number;
  /** A claimed saga belongs to this process until the lease expires (renewed while a step runs). */
  leaseMs?: number;
  /**
   * How often to look for runnable sagas without a wake-up: new and released sagas and replies wake the engine, and a
   * retry wakes its runner when its backoff ends, so this only finds sagas whose runner crashed (their lease ran out)
   * and wake-ups lost with a connection. Default: a third of the lease, at most 5 s.
   */
  pollMs?: number;
  retryBackoffMs?: number;
  /** How long stop() waits for running steps to honour their abort signal. */
  stopTimeoutMs?: number;
}

/** Publishes a command inside a transaction (the service's outbox). */
export type SagaPublisher = <D extends MessageDefinition>(manager: EntityManager, definition: D, payload: PayloadInput<D>, correlationId: string) => Promise<unknown>;

interface Row {
  id: string;
  kind: string;
  state: string;
  step: string | null;
  status: SagaRecord['status'];
  data: SagaData;
  attempt: number;
  compensation_from: number | null;
  failure_reason: string | null;
  failure_detail: string | null;
  version: number;
  traceparent: string | null;
  created_at: Date;
  updated_at: Date;
}

/** A registered wait for a wake-up: `within(ms)` resolves on it (or at once if it came already) or after ms. */
interface WakeUp {
  within(ms: number): Promise<void>;
  cancel(): void;
}

/** A saga this runner holds the lease of, with the attempt of its current step recorded at `version`. */
interface HistoryEntry {
  readonly step: string | null;
  readonly attempt: number;
  readonly from: string;
  readonly to: string;
  readonly outcome: string;
  readonly detail?: string;
}

interface Claimed {
  row: Row;
  version: number;
  attempt: number;
}

const WAKE_CHANNEL = (schema: string) => `${schema}_saga`;
/**
 * Wake-up payloads: a saga became runnable (the claim loop looks), a reply was recorded (only the step waiting for it
 * looks), a saga changed (sent by the database's trigger; whoever follows that saga looks).
 */
const RUNNABLE = 'run:';
const REPLY = 'reply:';
const CHANGED = 'changed:';
const MAX_POLL_MS = 5_000;
/** How often a step waiting for a reply looks again without a wake-up (a wake-up lost with a connection is only late). */
const REPLY_RECHECK_MS = 1_000;

/** The abort reason of a step whose lease another runner took: this runner must stop touching the saga at once. */
const LEASE_LOST = 'LEASE_LOST';
const leaseLost = (signal: AbortSignal) => signal.aborted && signal.reason instanceof StepFailure && signal.reason.reason === LEASE_LOST;

/**
 * Runs persisted sagas: claims runnable instances with a lease (so replicas share the work and a
 * crashed runner's sagas are picked up again), runs the current step with a deadline, records
 * each transition with a conditional update, retries with backoff, and compensates completed
 * steps in reverse order when a step fails for good.
 */
export class SagaEngine {
  private readonly owner = `${process.pid}-${randomUUID().slice(0, 8)}`;
  private readonly definitions = new Map<string, SagaDefinition<SagaData>>();
  private readonly running = new Map<string, AbortController>();
  private readonly log = createLogger('saga-engine');
  private readonly outcomes = counter('saga_steps_total', 'Saga step runs by outcome', ['kind', 'step', 'outcome']);
  private readonly ended = counter('saga_ended_total', 'Sagas ended, by kind, status (completed, failed) and the failure reason', ['kind', 'status', 'reason']);
  private listener?: PgListener;
  private active = false;
  private readonly loop = new WakeableLoop(
    () => this.claimFree(),
    () => this.o.pollMs,
    (err) => this.log.error({ err }, 'saga claim failed'),
  );
  /** Steps waiting for a reply and followers of a saga, by the wake-up payload they wait for. */
  private readonly waiters = new Map<string, Set<() => void>>();
  private readonly o: Required<SagaEngineOptions>;

  constructor(
    private readonly ds: DataSource,
    definitions: SagaDefinition<SagaData>[],
    options: SagaEngineOptions,
    private readonly publish?: SagaPublisher,
  ) {
    definitions.forEach((d) => this.definitions.set(d.kind, d));
    const leaseMs = options.leaseMs ?? 15_000;
    this.o = { concurrency: 16, leaseMs, pollMs: Math.min(MAX_POLL_MS, Math.ceil(leaseMs / 3)), retryBackoffMs: 500, stopTimeoutMs: 5_000, ...options };
  }

  async start(): Promise<void> {
    this.active = true;
    // Every (re)connect nudges too: wake-ups sent while the connection was down are not lost, only late.
    this.listener = new PgListener({
      databaseUrl: this.o.databaseUrl,
      channel: WAKE_CHANNEL(this.o.schema),
      applicationName: `saga-engine ${this.owner}`,
      onNotification: (payload) => this.wake(payload),
      onChange: () => this.nudge(),
    });
    await this.listener.start();
    this.loop.start();
  }

  /** Stops claiming; running steps are aborted and their sagas released for the next owner. */
  async stop(): Promise<void> {
    this.active = false;
    this.running.forEach((c) => c.abort(new Error('engine stopping')));
    this.nudge();
    await this.loop.stop();
    const deadline = Date.now() + this.o.stopTimeoutMs;
    while (this.running.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    // Steps that ignored the abort lose their lease; their late result fails the version check.
    await Promise.all([...this.running.keys()].map((id) => this.release(id)));
    await this.listener?.stop();
  }

  /** Creates a saga inside the caller's transaction; it starts once that transaction commits. */
  async create<D extends SagaData>(manager: EntityManager, kind: string, id: string, data: D): Promise<void> {
    const def = this.definition(kind);
    // Its steps, whenever and wherever they run, join the trace of the request or message that created it.
    await manager.query(
      `WITH created AS (INSERT INTO saga (id, kind, state, step, status, data, traceparent) VALUES ($1, $2, $3, $4, 'running', $5, $6))
       SELECT pg_notify($7, $8)`,
      [id, kind, def.initialState, def.steps[0].name, data, traceparentOf() ?? null, WAKE_CHANNEL(this.o.schema), RUNNABLE + id],
    );
  }

  /** Records a reply a step waits for (call it from the message handler, in its transaction). */
  async recordReply(manager: EntityManager, correlationKey: string, type: string, payload: object, sagaId?: string): Promise<void> {
    await manager.query(
      `WITH recorded AS (INSERT INTO saga_reply (correlation_key, saga_id, message_type, payload) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING)
       SELECT pg_notify($5, $6)`,
      [correlationKey, sagaId ?? null, type, payload, WAKE_CHANNEL(this.o.schema), REPLY + correlationKey],
    );
  }

  async get<D extends SagaData>(id: string, manager: EntityManager = this.ds.manager): Promise<SagaRecord<D> | undefined> {
    const rows: Row[] = await manager.query(`SELECT * FROM saga WHERE id = $1`, [id]);
    return rows[0] ? toRecord<D>(rows[0]) : undefined;
  }

  async history(id: string): Promise<{ at: Date; step: string | null; attempt: number; fromState: string; toState: string; outcome: string; detail: string | null }[]> {
    const rows = await this.ds.query(
      `SELECT at, step, attempt, from_state, to_state, outcome, detail FROM saga_history WHERE saga_id = $1 ORDER BY id`,
      [id],
    );
    return rows.map((r: Record<string, unknown>) => ({
      at: r['at'] as Date,
      step: r['step'] as string | null,
      attempt: r['attempt'] as number,
      fromState: r['from_state'] as string,
      toState: r['to_state'] as string,
      outcome: r['outcome'] as string,
      detail: r['detail'] as string | null,
    }));
  }

  private definition(kind: string): SagaDefinition<SagaData> {
    const def = this.definitions.get(kind);
    if (!def) throw new Error(`unknown saga kind ${kind}`);
    return def;
  }

  /** Wakes everything: the claim loop and every waiting step (after a reconnect, wake-ups may have been missed). */
  private nudge(): void {
    this.loop.nudge();
    this.waiters.forEach((set) => set.forEach((w) => w()));
  }

  private wake(payload: string): void {
    if (payload.startsWith(RUNNABLE)) this.loop.nudge();
    else this.waiters.get(payload)?.forEach((w) => w());
  }

  /**
   * The saga once its version differs from `seenVersion` (long polling): at once if it differs already or the saga has
   * ended, otherwise on its next change (step, attempt or status), or as it is after `waitMs`.
   */
  async follow<D extends SagaData>(id: string, seenVersion: number | undefined, waitMs: number): Promise<SagaRecord<D> | undefined> {
    const until = Date.now() + waitMs;
    for (;;) {
      // Listening before reading: a change made while reading still wakes this follower.
      const changed = this.listen(CHANGED + id);
      try {
        const saga = await this.get<D>(id);
        const left = until - Date.now();
        if (!saga || saga.version !== seenVersion || saga.status === 'completed' || saga.status === 'failed' || left <= 0) return saga;
        await changed.within(left);
      } finally {
        changed.cancel();
      }
    }
  }

  private async claimFree(): Promise<void> {
    const free = this.o.concurrency - this.running.size;
    if (free > 0) (await this.claim(free)).forEach((row) => this.execute(row));
  }

  private async claim(limit: number): Promise<Row[]> {
    return this.ds.query(
      `UPDATE saga SET lease_owner = $1, lease_until = now() + ($2 || ' milliseconds')::interval
         WHERE id IN (
           SELECT id FROM saga
            WHERE status IN ('running', 'compensating') AND next_run_at <= now()
              AND (lease_until IS NULL OR lease_until < now())
            ORDER BY next_run_at LIMIT $3 FOR UPDATE SKIP LOCKED)
       RETURNING *`,
      [this.owner, String(this.o.leaseMs), limit],
    ).then((r: [Row[], number] | Row[]) => (Array.isArray(r[0]) ? (r[0] as Row[]) : (r as Row[])));
  }

  private execute(row: Row): void {
    const controller = new AbortController();
    this.running.set(row.id, controller);
    const renew = setInterval(() => void this.renewLease(row.id, controller), this.o.leaseMs / 3);
    const work = row.status === 'compensating' ? this.compensate(row, controller) : this.runStep(row, controller);
    work
      .catch((err) => this.log.error({ err, sagaId: row.id }, 'saga execution error'))
      .finally(() => {
        clearInterval(renew);
        this.running.delete(row.id);
        this.loop.nudge();
      });
  }

  /** Renews the lease; when another runner holds it now (ours expired, e.g. during a database outage), aborts the step. */
  private async renewLease(id: string, controller: AbortController): Promise<void> {
    try {
      const [rows]: [unknown[], number] = await this.ds.query(
        `UPDATE saga SET lease_until = now() + ($3 || ' milliseconds')::interval WHERE id = $1 AND lease_owner = $2 RETURNING id`,
        [id, this.owner, String(this.o.leaseMs)],
      );
      if (rows.length === 0 && !controller.signal.aborted) {
        this.log.warn({ sagaId: id }, 'saga lease lost to another runner; aborting the step');
        controller.abort(new StepFailure(LEASE_LOST, `the lease of saga ${id} passed to another runner`));
      }
    } catch (err) {
      this.log.warn({ err, sagaId: id }, 'lease renewal failed');
    }
  }

  /**
   * Runs the claimed saga's current step and, while each one completes, the next under the same lease: a saga that
   * can go on does not go back to the queue between its steps.
   */
  private async runStep(row: Row, controller: AbortController): Promise<void> {
    const def = this.definition(row.kind);
    const first = def.steps.find((s) => s.name === row.step);
    if (!first) throw new Error(`saga ${row.id}: unknown step ${row.step}`);
    const attempt = row.attempt + 1;
    // The attempt is counted before running, so crashes count too and cannot loop forever.
    const version = await this.bumpAttempt(row, attempt, first.timeoutMs);
    let claimed: Claimed | null = version === null ? null : { row, version, attempt };
    while (claimed) claimed = await this.runClaimedStep(def, claimed, controller);
  }

  /** Runs one step whose attempt is recorded; returns the next step when the saga advanced and still holds the lease. */
  private async runClaimedStep(def: SagaDefinition<SagaData>, { row, version, attempt }: Claimed, controller: AbortController): Promise<Claimed | null> {
    const index = def.steps.findIndex((s) => s.name === row.step);
    const step = def.steps[index];
    return this.inStepSpan(row, step.name, attempt, async (span) => {
      const deadline = new Date(Date.now() + step.timeoutMs);
      const timer = setTimeout(() => controller.abort(new StepFailure('STEP_TIMEOUT', `${step.name} exceeded ${step.timeoutMs} ms`)), step.timeoutMs);
      try {
        const result = await step.run(this.context(row, attempt, deadline, controller.signal));
        if (!this.active && controller.signal.aborted) {
          await this.release(row.id);
          return null;
        }
        const next = await this.advance(def, row, version, index, attempt, result ?? {}, this.active && !controller.signal.aborted);
        this.outcomes.inc({ kind: row.kind, step: step.name, outcome: 'completed' });
        span.setAttribute('jpki.saga.outcome', 'completed');
        return next;
      } catch (err) {
        if (leaseLost(controller.signal)) return null;
        if (!this.active) {
          await this.release(row.id);
          return null;
        }
        const failure = asFailure(controller.signal.aborted ? controller.signal.reason : err);
        this.outcomes.inc({ kind: row.kind, step: step.name, outcome: failure.reason });
        markFailed(span, failure, failure.reason);
        await this.handleFailure(def, row, version, step, attempt, failure);
        return null;
      } finally {
        clearTimeout(timer);
      }
    });
  }

  /** One span per step run, in the trace of the request or message that created the saga; its log lines carry both. */
  private inStepSpan<T>(row: Row, step: string, attempt: number, work: (span: Span) => Promise<T>): Promise<T> {
    const attributes = { 'jpki.saga.kind': row.kind, 'jpki.saga.id': row.id, 'jpki.saga.step': step, 'jpki.saga.attempt': attempt };
    return inSpan(`${row.kind} ${step}`, { parent: contextOfTraceparent(row.traceparent), attributes }, (span) =>
      runInContext(newWorkContext({ correlationId: row.id, traceparent: row.traceparent ?? undefined }), () => work(span)),
    );
  }

  private async bumpAttempt(row: Row, attempt: number, timeoutMs: number): Promise<number | null> {
    const rows: [Row[], number] = await this.ds.query(
      `UPDATE saga SET attempt = $3, version = version + 1, step_deadline = now() + ($4 || ' milliseconds')::interval, updated_at = now()
        WHERE id = $1 AND lease_owner = $2 RETURNING version`,
      [row.id, this.owner, attempt, String(timeoutMs)],
    );
    return rows[0]?.[0]?.version ?? null;
  }

  /**
   * Records the completed step and moves to the next. With `keepLease` the next step's first attempt is recorded in
   * the same update and returned to run here; otherwise the saga is released for any runner to claim.
   */
  private async advance(
    def: SagaDefinition<SagaData>,
    row: Row,
    version: number,
    index: number,
    attempt: number,
    result: Partial<SagaData>,
    keepLease: boolean,
  ): Promise<Claimed | null> {
    const step = def.steps[index];
    const next = def.steps[index + 1];
    const toState = step.stateAfter ?? row.state;
    const data = { ...row.data, ...result };
    const chain = keepLease && next !== undefined;
    const ownership = chain
      ? `attempt = 1, lease_until = now() + ($8 || ' milliseconds')::interval, step_deadline = now() + ($9 || ' milliseconds')::interval`
      : `attempt = 0, lease_owner = NULL, lease_until = NULL, step_deadline = NULL`;
    return this.ds.transaction(async (m) => {
      const updated = await this.updateRecorded(
        m,
        `UPDATE saga SET state = $3, step = $4, status = $5, data = $6, version = version + 1, next_run_at = now(), updated_at = now(), ${ownership}
          WHERE id = $1 AND version = $2 AND lease_owner = $7`,
        [row.id, version, toState, next?.name ?? null, next ? 'running' : 'completed', data, this.owner, ...(chain ? [String(this.o.leaseMs), String(next.timeoutMs)] : [])],
        { step: step.name, attempt, from: row.state, to: toState, outcome: 'completed' },
      );
      if (updated.length === 0) throw new Error(`saga ${row.id} changed under us; not advancing`);
      await def.onTransition?.(m, { sagaId: row.id, kind: row.kind, fromState: row.state, toState, step: next?.name ?? null, status: next ? 'running' : 'completed', data });
      return chain ? { row: updated[0], version: updated[0].version, attempt: 1 } : null;
    }).then((claimed) => {
      if (!next) this.ended.inc({ kind: row.kind, status: 'completed', reason: '' });
      return claimed;
    });
  }

  private async handleFailure(def: SagaDefinition<SagaData>, row: Row, version: number, step: SagaStep<SagaData>, attempt: number, f: StepFailure): Promise<void> {
    this.log.warn({ sagaId: row.id, step: step.name, attempt, reason: f.reason, detail: f.detail }, 'saga step failed');
    const exhausted = !f.retriable || attempt >= step.maxAttempts;
    const backoffMs = this.o.retryBackoffMs * 2 ** (attempt - 1);
    const history = { step: step.name, attempt, from: row.state, to: row.state, detail: f.detail };
    if (!exhausted) {
      const retried = await this.updateRecorded(
        this.ds.manager,
        `UPDATE saga SET failure_reason = $3, failure_detail = $4, lease_owner = NULL, lease_until = NULL, version = version + 1,
                next_run_at = now() + ($5 || ' milliseconds')::interval, updated_at = now()
          WHERE id = $1 AND version = $2 AND lease_owner = $6`,
        [row.id, version, f.reason, f.detail.slice(0, 2000), String(backoffMs), this.owner],
        { ...history, outcome: `retry:${f.reason}` },
      );
      // This runner looks again when the backoff ends rather than on its next poll.
      if (retried.length > 0) setTimeout(() => this.active && this.loop.nudge(), backoffMs + 5).unref();
      return;
    }
    const index = def.steps.findIndex((s) => s.name === step.name);
    await this.updateRecorded(
      this.ds.manager,
      `UPDATE saga SET status = 'compensating', compensation_from = $3, failure_reason = $4, failure_detail = $5,
              lease_owner = NULL, lease_until = NULL, version = version + 1, next_run_at = now(), updated_at = now()
        WHERE id = $1 AND version = $2 AND lease_owner = $6`,
      [row.id, version, index - 1, f.reason, f.detail.slice(0, 2000), this.owner],
      { ...history, outcome: `failed:${f.reason}` },
    );
  }

  /**
   * Runs compensations from the last completed step backwards, then marks the saga failed. Every write is conditional
   * on still holding the lease, so a runner that lost it never records progress or ends the saga beside the new owner.
   */
  private async compensate(row: Row, controller: AbortController): Promise<void> {
    const def = this.definition(row.kind);
    const ctx = this.context(row, row.attempt, new Date(Date.now() + 60_000), controller.signal);
    for (let i = row.compensation_from ?? -1; i >= 0; i--) {
      if (leaseLost(controller.signal)) return;
      const step = def.steps[i];
      if (step.compensate) {
        try {
          await step.compensate(ctx);
          await this.recordHistory(this.ds.manager, row.id, step.name, 0, row.state, row.state, 'compensated');
        } catch (err) {
          if (leaseLost(controller.signal)) return;
          if (!this.active) return this.release(row.id);
          await this.recordHistory(this.ds.manager, row.id, step.name, 0, row.state, row.state, 'compensation-failed', asFailure(err).detail);
        }
      }
      const [progressed]: [unknown[], number] = await this.ds.query(
        `UPDATE saga SET compensation_from = $2, updated_at = now() WHERE id = $1 AND lease_owner = $3 RETURNING id`,
        [row.id, i - 1, this.owner],
      );
      if (progressed.length === 0) return;
    }
    const failed = await this.ds.transaction(async (m) => {
      const ended = await this.updateRecorded(
        m,
        `UPDATE saga SET status = 'failed', state = $2, lease_owner = NULL, lease_until = NULL, version = version + 1, updated_at = now()
          WHERE id = $1 AND lease_owner = $3 AND status = 'compensating'`,
        [row.id, def.failedState, this.owner],
        { step: row.step, attempt: row.attempt, from: row.state, to: def.failedState, outcome: 'failed', detail: row.failure_reason ?? undefined },
      );
      if (ended.length === 0) return false;
      await def.onTransition?.(m, {
        sagaId: row.id,
        kind: row.kind,
        fromState: row.state,
        toState: def.failedState,
        step: row.step,
        status: 'failed',
        data: row.data,
        failure: { reason: row.failure_reason ?? 'UNKNOWN', detail: row.failure_detail ?? '', step: row.step ?? '' },
      });
      return true;
    });
    if (failed) this.ended.inc({ kind: row.kind, status: 'failed', reason: row.failure_reason ?? 'UNKNOWN' });
  }

  /** Gives the saga up and wakes every runner's claim loop, so another replica takes it now rather than at its next poll. */
  private async release(id: string): Promise<void> {
    await this.ds.query(
      `WITH released AS (UPDATE saga SET lease_owner = NULL, lease_until = NULL WHERE id = $1 AND lease_owner = $2 RETURNING id)
       SELECT pg_notify($3, $4) FROM released`,
      [id, this.owner, WAKE_CHANNEL(this.o.schema), RUNNABLE + id],
    );
  }

  /**
   * A conditional UPDATE of one saga (`update` without RETURNING) and, only when it matched, its history row, in one
   * statement: one round trip instead of two. Returns the updated row (none when the condition did not hold).
   */
  private updateRecorded(m: EntityManager, update: string, params: unknown[], h: HistoryEntry): Promise<Row[]> {
    const n = params.length;
    return m.query(
      `WITH updated AS (${update} RETURNING *),
            recorded AS (INSERT INTO saga_history (saga_id, step, attempt, from_state, to_state, outcome, detail)
                         SELECT id, $${n + 1}::text, $${n + 2}::int, $${n + 3}::text, $${n + 4}::text, $${n + 5}::text, $${n + 6}::text FROM updated)
       SELECT * FROM updated`,
      [...params, h.step, h.attempt, h.from, h.to, h.outcome, h.detail?.slice(0, 2000) ?? null],
    );
  }

  private recordHistory(m: EntityManager, sagaId: string, step: string | null, attempt: number, from: string, to: string, outcome: string, detail?: string): Promise<unknown> {
    return m.query(
      `INSERT INTO saga_history (saga_id, step, attempt, from_state, to_state, outcome, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [sagaId, step, attempt, from, to, outcome, detail?.slice(0, 2000) ?? null],
    );
  }

  private context(row: Row, attempt: number, deadline: Date, signal: AbortSignal): StepContext<SagaData> {
    const reply = async (key: string): Promise<Reply | undefined> => {
      const rows = await this.ds.query(`SELECT message_type, payload FROM saga_reply WHERE correlation_key = $1`, [key]);
      return rows[0] ? { type: rows[0].message_type, payload: rows[0].payload } : undefined;
    };
    const replyWithin = async (key: string, timeoutMs: number, wakeUp = this.listen(REPLY + key, signal)): Promise<Reply | undefined> => {
      const until = Date.now() + timeoutMs;
      try {
        for (;;) {
          const found = await reply(key);
          if (found) return found;
          if (signal.aborted) throw signal.reason;
          const left = until - Date.now();
          if (left <= 0) return undefined;
          // Listening before looking again: a reply recorded while the query runs still wakes this step.
          const woken = wakeUp.within(Math.min(REPLY_RECHECK_MS, left));
          wakeUp = this.listen(REPLY + key, signal);
          await woken;
        }
      } finally {
        wakeUp.cancel();
      }
    };
    const awaitReply = async (key: string): Promise<Reply> => (await replyWithin(key, Number.POSITIVE_INFINITY)) as Reply;
    return {
      sagaId: row.id,
      kind: row.kind,
      data: row.data,
      attempt,
      deadline,
      signal,
      transaction: (fn) => this.ds.transaction(fn),
      reply,
      awaitReply,
      replyWithin,
      request: async (definition, payload, key) => {
        const publish = this.publish;
        if (!publish) throw new Error('this saga engine has no publisher');
        // A retried step or a resumed compensation may have sent the command already; a step's first attempt cannot have.
        const firstRun = row.status === 'running' && attempt === 1;
        const existing = firstRun ? undefined : await reply(key);
        if (existing) return existing;
        const wakeUp = this.listen(REPLY + key, signal);
        // One outbox INSERT: atomic on its own, so no transaction round trips around it.
        await publish(this.ds.manager, definition, payload, row.id);
        // The reply cannot be there before the command left: wait for its wake-up before the first look.
        await wakeUp.within(REPLY_RECHECK_MS);
        return (await replyWithin(key, Number.POSITIVE_INFINITY, wakeUp)) as Reply;
      },
    };
  }

  /** Registers a waiter for `payload` now; `within(ms)` resolves on its wake-up, the abort of the step, or after ms. */
  private listen(payload: string, signal?: AbortSignal): WakeUp {
    let woken = false;
    let resolveWait: (() => void) | undefined;
    const waiting = this.waiters.get(payload) ?? new Set<() => void>();
    this.waiters.set(payload, waiting);
    const wake = () => {
      woken = true;
      resolveWait?.();
    };
    waiting.add(wake);
    signal?.addEventListener('abort', wake);
    return {
      within: (ms) =>
        woken
          ? Promise.resolve()
          : new Promise<void>((resolve) => {
              const timer = setTimeout(resolve, ms);
              resolveWait = () => {
                clearTimeout(timer);
                resolve();
              };
            }),
      cancel: () => {
        waiting.delete(wake);
        if (waiting.size === 0 && this.waiters.get(payload) === waiting) this.waiters.delete(payload);
        signal?.removeEventListener('abort', wake);
      },
    };
  }
}

function asFailure(err: unknown): StepFailure {
  if (err instanceof StepFailure) return err;
  if (err instanceof Error) return new StepFailure('STEP_ERROR', `${err.name}: ${err.message}`);
  return new StepFailure('STEP_ERROR', String(err));
}

function toRecord<D extends SagaData>(r: Row): SagaRecord<D> {
  return {
    id: r.id,
    kind: r.kind,
    state: r.state,
    step: r.step,
    status: r.status,
    data: r.data as D,
    attempt: r.attempt,
    version: r.version,
    failureReason: r.failure_reason,
    failureDetail: r.failure_detail,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}
