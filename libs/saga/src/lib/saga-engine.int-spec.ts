import { DataSource } from 'typeorm';
import { metricsRegistry } from '@jpki/observability';
import { migrateDatabase } from '@jpki/service-kit';
import { testDatabaseUrl, testSchema, waitUntil } from '@jpki/testing';
import { sagaMigrations } from './saga-schema';
import { SagaEngine } from './saga-engine';
import { StepFailure, type SagaDefinition, type StepContext } from './saga-definition';

type Data = { calls?: string[]; value?: number; token?: string };

describe('saga engine (real PostgreSQL)', () => {
  let schema: string;
  let ds: DataSource;
  const engines: SagaEngine[] = [];
  const effects: string[] = [];
  const transitions: string[] = [];
  const flaky = new Map<string, number>();
  const gates = new Map<string, Promise<void>>();

  /** saga_ended_total for these labels, as /metrics would show it. */
  const ended = async (status: string, reason: string) => {
    const metric = await metricsRegistry.getSingleMetric('saga_ended_total')?.get();
    return metric?.values.find((v) => v.labels['kind'] === 'demo' && v.labels['status'] === status && v.labels['reason'] === reason)?.value ?? 0;
  };

  const step = (name: string, extra: Partial<{ stateAfter: string; timeoutMs: number; maxAttempts: number }> = {}) => ({
    name,
    timeoutMs: extra.timeoutMs ?? 5_000,
    maxAttempts: extra.maxAttempts ?? 3,
    stateAfter: extra.stateAfter,
    async run(ctx: StepContext<Data>) {
      const key = `${ctx.sagaId}:${name}`;
      const gate = gates.get(key);
      if (gate) await gate;
      const left = flaky.get(key) ?? 0;
      if (left > 0) {
        flaky.set(key, left - 1);
        throw new Error(`flaky ${name}`);
      }
      if (flaky.get(`${key}:fatal`)) throw new StepFailure('REFUSED', 'not possible', false);
      effects.push(key);
      return { calls: [...(ctx.data.calls ?? []), name] };
    },
    async compensate(ctx: StepContext<Data>) {
      effects.push(`${ctx.sagaId}:undo-${name}`);
    },
  });

  const definition: SagaDefinition<Data> = {
    kind: 'demo',
    initialState: 'not-deployed',
    failedState: 'in-error',
    steps: [
      step('one', { stateAfter: 'initialized' }),
      step('two', { stateAfter: 'installed' }),
      {
        name: 'wait-reply',
        timeoutMs: 2_000,
        maxAttempts: 2,
        stateAfter: 'operational',
        async run(ctx: StepContext<Data>) {
          const reply = await ctx.awaitReply(`${ctx.sagaId}:token`);
          return { token: String(reply.payload['token']) };
        },
      },
    ],
    async onTransition(_m, t) {
      transitions.push(`${t.sagaId}:${t.fromState}->${t.toState}:${t.status}`);
    },
  };

  const engine = async (pollMs = 100) => {
    const e = new SagaEngine(ds, [definition as never], { databaseUrl: testDatabaseUrl(), schema, leaseMs: 1_500, pollMs, retryBackoffMs: 50, stopTimeoutMs: 500 });
    await e.start();
    engines.push(e);
    return e;
  };

  const reply = (e: SagaEngine, id: string, token: string) =>
    ds.transaction((m) => e.recordReply(m, `${id}:token`, 'test.reply', { token }, id));

  beforeAll(async () => {
    schema = testSchema('saga');
    await migrateDatabase({ url: testDatabaseUrl(), schema, entities: [], migrations: [...sagaMigrations] });
    ds = new DataSource({ type: 'postgres', url: testDatabaseUrl(), extra: { options: `-c search_path=${schema}` } });
    await ds.initialize();
  });

  afterAll(async () => {
    await Promise.all(engines.map((e) => e.stop()));
    await ds.destroy();
  });

  it('runs the steps in order, merges data, records transitions and waits for replies', async () => {
    const e = await engine();
    const completedBefore = await ended('completed', '');
    await ds.transaction((m) => e.create(m, 'demo', 's-happy', { calls: [] }));
    await waitUntil(async () => (await e.get('s-happy'))?.step === 'wait-reply', 10_000, 'reach wait-reply');
    await reply(e, 's-happy', 'abc');
    const done = await waitUntil(async () => {
      const s = await e.get<Data>('s-happy');
      return s?.status === 'completed' ? s : undefined;
    }, 10_000, 'completion');
    expect(done.state).toBe('operational');
    expect(done.data).toEqual({ calls: ['one', 'two'], token: 'abc' });
    expect(transitions.filter((t) => t.startsWith('s-happy'))).toEqual([
      's-happy:not-deployed->initialized:running',
      's-happy:initialized->installed:running',
      's-happy:installed->operational:completed',
    ]);
    expect((await e.history('s-happy')).map((h) => h.outcome)).toEqual(['completed', 'completed', 'completed']);
    expect(await ended('completed', '')).toBe(completedBefore + 1);
  });

  it('answers a follower at the saga\'s next change (long polling), at once when it differs already, and as it is after the wait', async () => {
    const e = await engine();
    await ds.transaction((m) => e.create(m, 'demo', 's-follow', { calls: [] }));
    const waiting = await waitUntil(async () => {
      const s = await e.get('s-follow');
      return s?.step === 'wait-reply' ? s : undefined;
    }, 10_000, 'reach wait-reply');
    expect((await e.follow('s-follow', waiting.version - 1, 5_000))?.version).toBe(waiting.version);
    const started = Date.now();
    expect((await e.follow('s-follow', waiting.version, 300))?.version).toBe(waiting.version);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    const followed = e.follow('s-follow', waiting.version, 10_000);
    await new Promise((r) => setTimeout(r, 200));
    await reply(e, 's-follow', 'xyz');
    const changed = await followed;
    expect(changed?.version).toBeGreaterThan(waiting.version);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await e.follow('no-such-saga', undefined, 1_000)).toBeUndefined();
  });

  it('listens again for wake-ups after its LISTEN connection is lost (a PostgreSQL restart, a killed backend)', async () => {
    await engine();
    const listeners = () =>
      ds.query(`SELECT pid FROM pg_stat_activity WHERE application_name LIKE 'saga-engine %' AND query LIKE 'LISTEN %' AND datname = current_database()`);
    const before: { pid: number }[] = await listeners();
    expect(before.length).toBeGreaterThan(0);
    await ds.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid = ANY($1)`, [before.map((l) => l.pid)]);
    const after = await waitUntil(async () => {
      const rows: { pid: number }[] = await listeners();
      return rows.length === before.length && rows.every((r) => !before.some((b) => b.pid === r.pid)) ? rows : undefined;
    }, 10_000, 'listeners reconnected');
    expect(after.length).toBe(before.length);
  });

  it('uses a reply recorded before the step runs (resumption after a crash)', async () => {
    const e = await engine();
    await reply(e, 's-early', 'early');
    await ds.transaction((m) => e.create(m, 'demo', 's-early', {}));
    await waitUntil(async () => (await e.get('s-early'))?.status === 'completed', 10_000, 'completion');
    expect((await e.get<Data>('s-early'))!.data.token).toBe('early');
  });

  it('retries a failing step with backoff and applies it once', async () => {
    const e = await engine();
    flaky.set('s-flaky:two', 2);
    await reply(e, 's-flaky', 't');
    await ds.transaction((m) => e.create(m, 'demo', 's-flaky', {}));
    await waitUntil(async () => (await e.get('s-flaky'))?.status === 'completed', 10_000, 'completion');
    expect(effects.filter((x) => x === 's-flaky:two')).toHaveLength(1);
    expect((await e.history('s-flaky')).map((h) => h.outcome)).toEqual(['completed', 'retry:STEP_ERROR', 'retry:STEP_ERROR', 'completed', 'completed']);
  });

  it('compensates completed steps in reverse order when a step fails for good', async () => {
    const e = await engine();
    flaky.set('s-fatal:two:fatal', 1);
    const failedBefore = await ended('failed', 'REFUSED');
    await ds.transaction((m) => e.create(m, 'demo', 's-fatal', {}));
    const failed = await waitUntil(async () => {
      const s = await e.get('s-fatal');
      return s?.status === 'failed' ? s : undefined;
    }, 10_000, 'failure');
    expect(failed.state).toBe('in-error');
    expect(failed.failureReason).toBe('REFUSED');
    expect(effects.filter((x) => x.startsWith('s-fatal'))).toEqual(['s-fatal:one', 's-fatal:undo-one']);
    expect(transitions).toContain('s-fatal:initialized->in-error:failed');
    expect(await ended('failed', 'REFUSED')).toBe(failedBefore + 1);
  });

  it('gives up after the last attempt when a step keeps timing out', async () => {
    const e = await engine();
    await ds.transaction((m) => e.create(m, 'demo', 's-timeout', {}));
    const failed = await waitUntil(async () => {
      const s = await e.get('s-timeout');
      return s?.status === 'failed' ? s : undefined;
    }, 20_000, 'timeout failure');
    expect(failed.failureReason).toBe('STEP_TIMEOUT');
    expect((await e.history('s-timeout')).filter((h) => h.outcome === 'retry:STEP_TIMEOUT')).toHaveLength(1);
  });

  it('resumes a saga whose runner disappeared once its lease expires, without repeating completed steps', async () => {
    await Promise.all(engines.splice(0).map((e) => e.stop()));
    let release!: () => void;
    gates.set('s-crash:two', new Promise<void>((r) => (release = r)));
    const a = await engine();
    await reply(a, 's-crash', 'x');
    await ds.transaction((m) => a.create(m, 'demo', 's-crash', {}));
    await waitUntil(async () => (await ds.query(`SELECT step, lease_owner FROM saga WHERE id='s-crash'`))[0]?.step === 'two', 10_000, 'runner A on step two');
    // Runner A "crashes": it stops renewing its lease and never finishes.
    await a.stop();
    gates.delete('s-crash:two');
    const b = await engine();
    await waitUntil(async () => (await b.get('s-crash'))?.status === 'completed', 15_000, 'runner B completes');
    release();
    expect(effects.filter((x) => x === 's-crash:one')).toHaveLength(1);
    expect(effects.filter((x) => x === 's-crash:two')).toHaveLength(1);
  });

  it('hands a stopping runner\'s saga to another runner at once, not at that runner\'s next poll', async () => {
    await Promise.all(engines.splice(0).map((e) => e.stop()));
    const hourly = 3_600_000;
    const a = await engine(hourly);
    await ds.transaction((m) => a.create(m, 'demo', 's-handover', { calls: [] }));
    await waitUntil(async () => (await a.get('s-handover'))?.step === 'wait-reply', 10_000, 'runner A waits for the reply');
    const b = await engine(hourly);
    await a.stop();
    await waitUntil(async () => (await ds.query(`SELECT lease_owner FROM saga WHERE id = 's-handover'`))[0]?.lease_owner !== null, 5_000, 'runner B holds the saga');
    await reply(b, 's-handover', 'handed-over');
    await waitUntil(async () => (await b.get('s-handover'))?.status === 'completed', 10_000, 'runner B completes');
    expect((await b.get<Data>('s-handover'))?.data.token).toBe('handed-over');
  });

  it('shares work between runners without running a step twice', async () => {
    await engine();
    const e2 = await engine();
    const ids = Array.from({ length: 20 }, (_, i) => `s-par-${i}`);
    for (const id of ids) {
      await reply(e2, id, id);
      await ds.transaction((m) => e2.create(m, 'demo', id, {}));
    }
    await waitUntil(async () => {
      const [{ n }] = await ds.query(`SELECT count(*)::int AS n FROM saga WHERE id LIKE 's-par-%' AND status = 'completed'`);
      return n === ids.length;
    }, 30_000, 'all parallel sagas complete');
    for (const id of ids) expect(effects.filter((x) => x === `${id}:one` || x === `${id}:two`)).toHaveLength(2);
  });
});
