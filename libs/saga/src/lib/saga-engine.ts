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

const WAKE_CHANNEL = (schema: string) => `${schema}_saga`;

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
  private listener?: PgListener;
  private active = false;
  private readonly loop = new WakeableLoop(
    () => this.claimFree(),
    () => this.o.pollMs,
    (err) => this.log.error({ err }, 'saga claim failed'),
  );
  private readonly waiters = new Set<() => void>();
  private readonly o: Required<SagaEngineOptions>;

  constructor(
    private readonly ds: DataSource,
    definitions: SagaDefinition<SagaData>[],
    options: SagaEngineOptions,
    private readonly publish?: SagaPublisher,
  ) {
    definitions.forEach((d) => this.definitions.set(d.kind, d));
    this.o = { concurrency: 16, leaseMs: 15_000, pollMs: 250, retryBackoffMs: 500, stopTimeoutMs: 5_000, ...options };
  }

  async start(): Promise<void> {
    this.active = true;
    // Every (re)connect nudges too: wake-ups sent while the connection was down are not lost, only late.
    this.listener = new PgListener({
      databaseUrl: this.o.databaseUrl,
      channel: WAKE_CHANNEL(this.o.schema),
      applicationName: `saga-engine ${this.owner}`,
      onNotification: () => this.nudge(),
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
    await manager.query(`INSERT INTO saga (id, kind, state, step, status, data, traceparent) VALUES ($1, $2, $3, $4, 'running', $5, $6)`, [
      id,
      kind,
      def.initialState,
      def.steps[0].name,
      data,
      traceparentOf() ?? null,
    ]);
    await manager.query(`SELECT pg_notify($1, $2)`, [WAKE_CHANNEL(this.o.schema), id]);
  }

  /** Records a reply a step waits for (call it from the message handler, in its transaction). */
  async recordReply(manager: EntityManager, correlationKey: string, type: string, payload: object, sagaId?: string): Promise<void> {
    await manager.query(
      `INSERT INTO saga_reply (correlation_key, saga_id, message_type, payload) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
      [correlationKey, sagaId ?? null, type, payload],
    );
    await manager.query(`SELECT pg_notify($1, $2)`, [WAKE_CHANNEL(this.o.schema), correlationKey]);
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

  private nudge(): void {
    this.loop.nudge();
    this.waiters.forEach((w) => w());
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
        this.nudge();
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

  private async runStep(row: Row, controller: AbortController): Promise<void> {
    const def = this.definition(row.kind);
    const index = def.steps.findIndex((s) => s.name === row.step);
    const step = def.steps[index];
    const attempt = row.attempt + 1;
    // The attempt is counted before running, so crashes count too and cannot loop forever.
    const version = await this.bumpAttempt(row, attempt, step.timeoutMs);
    if (version === null) return;
    await this.inStepSpan(row, step.name, attempt, async (span) => {
      const deadline = new Date(Date.now() + step.timeoutMs);
      const timer = setTimeout(() => controller.abort(new StepFailure('STEP_TIMEOUT', `${step.name} exceeded ${step.timeoutMs} ms`)), step.timeoutMs);
      try {
        const result = await step.run(this.context(row, attempt, deadline, controller.signal));
        if (!this.active && controller.signal.aborted) return this.release(row.id);
        await this.advance(def, row, version, index, attempt, result ?? {});
        this.outcomes.inc({ kind: row.kind, step: step.name, outcome: 'completed' });
        span.setAttribute('jpki.saga.outcome', 'completed');
      } catch (err) {
        if (leaseLost(controller.signal)) return;
        if (!this.active) return this.release(row.id);
        const failure = asFailure(controller.signal.aborted ? controller.signal.reason : err);
        this.outcomes.inc({ kind: row.kind, step: step.name, outcome: failure.reason });
        markFailed(span, failure, failure.reason);
        await this.handleFailure(def, row, version, step, attempt, failure);
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

  private async advance(def: SagaDefinition<SagaData>, row: Row, version: number, index: number, attempt: number, result: Partial<SagaData>): Promise<void> {
    const step = def.steps[index];
    const next = def.steps[index + 1];
    const toState = step.stateAfter ?? row.state;
    const data = { ...row.data, ...result };
    await this.ds.transaction(async (m) => {
      const updated: [unknown[], number] = await m.query(
        `UPDATE saga SET state = $3, step = $4, status = $5, data = $6, attempt = 0, version = version + 1,
                lease_owner = NULL, lease_until = NULL, next_run_at = now(), step_deadline = NULL, updated_at = now()
          WHERE id = $1 AND version = $2 AND lease_owner = $7 RETURNING id`,
        [row.id, version, toState, next?.name ?? null, next ? 'running' : 'completed', data, this.owner],
      );
      if (updated[1] === 0) throw new Error(`saga ${row.id} changed under us; not advancing`);
      await this.recordHistory(m, row.id, step.name, attempt, row.state, toState, 'completed');
      await def.onTransition?.(m, { sagaId: row.id, kind: row.kind, fromState: row.state, toState, step: next?.name ?? null, status: next ? 'running' : 'completed', data });
    });
  }

  private async handleFailure(def: SagaDefinition<SagaData>, row: Row, version: number, step: SagaStep<SagaData>, attempt: number, f: StepFailure): Promise<void> {
    this.log.warn({ sagaId: row.id, step: step.name, attempt, reason: f.reason, detail: f.detail }, 'saga step failed');
    const exhausted = !f.retriable || attempt >= step.maxAttempts;
    await this.ds.transaction(async (m) => {
      if (!exhausted) {
        const [retried]: [unknown[], number] = await m.query(
          `UPDATE saga SET failure_reason = $3, failure_detail = $4, lease_owner = NULL, lease_until = NULL, version = version + 1,
                  next_run_at = now() + ($5 || ' milliseconds')::interval, updated_at = now()
            WHERE id = $1 AND version = $2 AND lease_owner = $6 RETURNING id`,
          [row.id, version, f.reason, f.detail.slice(0, 2000), String(this.o.retryBackoffMs * 2 ** (attempt - 1)), this.owner],
        );
        if (retried.length === 0) return;
        await this.recordHistory(m, row.id, step.name, attempt, row.state, row.state, `retry:${f.reason}`, f.detail);
        return;
      }
      const index = def.steps.findIndex((s) => s.name === step.name);
      const [failed]: [unknown[], number] = await m.query(
        `UPDATE saga SET status = 'compensating', compensation_from = $3, failure_reason = $4, failure_detail = $5,
                lease_owner = NULL, lease_until = NULL, version = version + 1, next_run_at = now(), updated_at = now()
          WHERE id = $1 AND version = $2 AND lease_owner = $6 RETURNING id`,
        [row.id, version, index - 1, f.reason, f.detail.slice(0, 2000), this.owner],
      );
      if (failed.length === 0) return;
      await this.recordHistory(m, row.id, step.name, attempt, row.state, row.state, `failed:${f.reason}`, f.detail);
    });
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
    await this.ds.transaction(async (m) => {
      const [ended]: [unknown[], number] = await m.query(
        `UPDATE saga SET status = 'failed', state = $2, lease_owner = NULL, lease_until = NULL, version = version + 1, updated_at = now()
          WHERE id = $1 AND lease_owner = $3 AND status = 'compensating' RETURNING id`,
        [row.id, def.failedState, this.owner],
      );
      if (ended.length === 0) return;
      await this.recordHistory(m, row.id, row.step, row.attempt, row.state, def.failedState, 'failed', row.failure_reason ?? undefined);
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
    });
  }

  private async release(id: string): Promise<void> {
    await this.ds.query(`UPDATE saga SET lease_owner = NULL, lease_until = NULL WHERE id = $1 AND lease_owner = $2`, [id, this.owner]);
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
    const replyWithin = async (key: string, timeoutMs: number): Promise<Reply | undefined> => {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const found = await reply(key);
        if (found) return found;
        if (signal.aborted) throw signal.reason;
        const left = until - Date.now();
        if (left <= 0) return undefined;
        await this.waitForNudge(signal, Math.min(500, left));
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
        const existing = await reply(key);
        if (existing) return existing;
        await this.ds.transaction((m) => publish(m, definition, payload, row.id));
        return awaitReply(key);
      },
    };
  }

  private waitForNudge(signal: AbortSignal, maxMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        this.waiters.delete(done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const t = setTimeout(done, maxMs);
      this.waiters.add(done);
      signal.addEventListener('abort', done);
    });
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
    failureReason: r.failure_reason,
    failureDetail: r.failure_detail,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}
