import { DataSource } from 'typeorm';
import { migrateDatabase } from '@jpki/service-kit';
import { testDatabaseUrl, testSchema, waitUntil } from '@jpki/testing';
import { sagaMigrations } from './saga-schema';
import { SagaEngine } from './saga-engine';
import { StepFailure, type SagaDefinition, type StepContext } from './saga-definition';

/**
 * A runner whose lease passed to another runner (its own expired: a long pause, a database outage) must stop at once:
 * its step is aborted, and neither its late result nor its compensation is recorded beside the new owner's.
 */
describe('saga engine: a lost lease stops the runner (real PostgreSQL)', () => {
  let schema: string;
  let ds: DataSource;
  let engine: SagaEngine;
  const aborted = new Map<string, string>();
  const transitions: string[] = [];
  const compensations: string[] = [];
  const release = new Map<string, () => void>();

  /** Runs until released or aborted, recording the abort reason. */
  const holdUntilReleased = (ctx: StepContext<Record<string, never>>, key: string) =>
    new Promise<void>((resolve, reject) => {
      release.set(key, resolve);
      ctx.signal.addEventListener('abort', () => {
        aborted.set(key, (ctx.signal.reason as StepFailure).reason);
        reject(ctx.signal.reason);
      });
    });

  const definition: SagaDefinition<Record<string, never>> = {
    kind: 'lease',
    initialState: 'start',
    failedState: 'in-error',
    steps: [
      {
        name: 'first',
        timeoutMs: 30_000,
        maxAttempts: 3,
        async run(ctx) {
          if (ctx.sagaId.startsWith('slow')) await holdUntilReleased(ctx, `${ctx.sagaId}:run`);
        },
        async compensate(ctx) {
          compensations.push(ctx.sagaId);
          if (ctx.sagaId.startsWith('undo') && compensations.filter((c) => c === ctx.sagaId).length === 1) await holdUntilReleased(ctx, `${ctx.sagaId}:undo`);
        },
      },
      {
        name: 'second',
        timeoutMs: 5_000,
        maxAttempts: 1,
        async run(ctx) {
          if (ctx.sagaId.startsWith('undo')) throw new StepFailure('REFUSED', 'fails for good', false);
        },
      },
    ],
    async onTransition(_m, t) {
      transitions.push(`${t.sagaId}:${t.status}`);
    },
  };

  /** What another runner does when our lease has expired: it takes the saga over. */
  const stealLease = (id: string) => ds.query(`UPDATE saga SET lease_owner = 'another-runner', lease_until = now() + interval '1 hour' WHERE id = $1`, [id]);
  const giveBack = (id: string) => ds.query(`UPDATE saga SET lease_owner = NULL, lease_until = NULL WHERE id = $1`, [id]);
  const row = async (id: string) => ((await ds.query(`SELECT step, status, version FROM saga WHERE id = $1`, [id])) as { step: string; status: string; version: number }[])[0];

  beforeAll(async () => {
    schema = testSchema('saga_lease');
    await migrateDatabase({ url: testDatabaseUrl(), schema, entities: [], migrations: [...sagaMigrations] });
    ds = new DataSource({ type: 'postgres', url: testDatabaseUrl(), extra: { options: `-c search_path=${schema}` } });
    await ds.initialize();
    engine = new SagaEngine(ds, [definition as never], { databaseUrl: testDatabaseUrl(), schema, leaseMs: 900, pollMs: 100, retryBackoffMs: 50 });
    await engine.start();
  });

  afterAll(async () => {
    await engine?.stop();
    await ds?.destroy();
  });

  it('aborts a running step whose lease another runner took, and records nothing for it', async () => {
    await ds.transaction((m) => engine.create(m, 'lease', 'slow-1', {}));
    await waitUntil(() => release.has('slow-1:run'), 10_000, 'step running');
    const before = await row('slow-1');
    await stealLease('slow-1');
    await waitUntil(() => aborted.has('slow-1:run'), 5_000, 'the step aborted after losing its lease');
    expect(aborted.get('slow-1:run')).toBe('LEASE_LOST');
    await new Promise((r) => setTimeout(r, 1000));
    expect(await row('slow-1')).toEqual(before);
    expect((await engine.history('slow-1')).map((h) => h.outcome)).toEqual([]);

    const lost = release.get('slow-1:run');
    await giveBack('slow-1');
    await waitUntil(() => release.get('slow-1:run') !== lost, 10_000, 'claimed again and the step started anew');
    release.get('slow-1:run')!();
    await waitUntil(async () => (await row('slow-1')).status === 'completed', 10_000, 'completed');
    expect(transitions.filter((t) => t === 'slow-1:completed')).toHaveLength(1);
  }, 40_000);

  it('a compensating runner that lost its lease neither records progress nor ends the saga; the new owner ends it once', async () => {
    await ds.transaction((m) => engine.create(m, 'lease', 'undo-1', {}));
    await waitUntil(() => release.has('undo-1:undo'), 10_000, 'compensation running');
    await stealLease('undo-1');
    await waitUntil(() => aborted.has('undo-1:undo'), 5_000, 'the compensation aborted after losing its lease');
    await new Promise((r) => setTimeout(r, 1000));
    expect((await row('undo-1')).status).toBe('compensating');
    expect(transitions.filter((t) => t.startsWith('undo-1:failed'))).toHaveLength(0);
    expect((await engine.history('undo-1')).map((h) => h.outcome)).not.toContain('compensation-failed');

    await giveBack('undo-1');
    await waitUntil(async () => (await row('undo-1')).status === 'failed', 10_000, 'the next owner ends the saga');
    await new Promise((r) => setTimeout(r, 500));
    expect(transitions.filter((t) => t === 'undo-1:failed')).toHaveLength(1);
    expect((await engine.history('undo-1')).filter((h) => h.outcome === 'failed')).toHaveLength(1);
  }, 40_000);
});
