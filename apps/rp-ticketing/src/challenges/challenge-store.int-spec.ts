import { DataSource } from 'typeorm';
import { testDatabaseUrl, testSchema } from '@jpki/testing';
import { CHALLENGE_TABLE_DDL, ChallengeCapacityReached, ChallengeStore } from '@jpki/relying-party';

/** The relying parties' shared challenge table (@jpki/relying-party ChallengeStore) on the real PostgreSQL: single use, TTL, capacity, purge. */
describe('ChallengeStore (real PostgreSQL)', () => {
  let ds: DataSource;
  let now = new Date('2030-01-01T00:00:00Z');
  const clock = () => now;
  const advance = (ms: number) => (now = new Date(now.getTime() + ms));

  beforeAll(async () => {
    const schema = testSchema('rp_challenges');
    const admin = new DataSource({ type: 'postgres', url: testDatabaseUrl() });
    await admin.initialize();
    await admin.query(`CREATE SCHEMA "${schema}"`);
    await admin.destroy();
    ds = new DataSource({ type: 'postgres', url: testDatabaseUrl(), schema, extra: { options: `-c search_path=${schema}` } });
    await ds.initialize();
    for (const ddl of CHALLENGE_TABLE_DDL) await ds.query(ddl);
  });

  afterAll(async () => {
    await ds?.destroy();
  });

  beforeEach(async () => {
    await ds.query(`DELETE FROM rp_challenge`);
  });

  it('hands out 32-byte challenges that can be used once, for their own scope, until they expire', async () => {
    const store = new ChallengeStore(ds, { ttlMs: 60_000, capacity: 100, now: clock });
    const a = await store.issue('gate:hall-a');
    expect(a.challenge).toHaveLength(32);
    expect(await store.consume(a.challengeId, 'gate:hall-b')).toMatchObject({ ok: false, reason: 'CHALLENGE_UNKNOWN' });
    expect(await store.consume(a.challengeId, 'gate:hall-a')).toEqual({ ok: true, challenge: a.challenge });
    expect(await store.consume(a.challengeId, 'gate:hall-a')).toMatchObject({ ok: false, reason: 'CHALLENGE_REPLAYED' });
    const b = await store.issue('login');
    advance(60_001);
    expect(await store.consume(b.challengeId, 'login')).toMatchObject({ ok: false, reason: 'CHALLENGE_EXPIRED' });
    expect(await store.consume('not-a-uuid', 'login')).toMatchObject({ ok: false, reason: 'CHALLENGE_UNKNOWN' });
    expect(await store.consume('7d1f4a52-8a4e-4c57-9d5e-0f1e2d3c4b5a', 'login')).toMatchObject({ ok: false, reason: 'CHALLENGE_UNKNOWN' });
  });

  it('lets two concurrent answers to one challenge pass once', async () => {
    const store = new ChallengeStore(ds, { ttlMs: 60_000, capacity: 100, now: clock });
    const { challengeId } = await store.issue('login');
    const results = await Promise.all(Array.from({ length: 8 }, () => store.consume(challengeId, 'login')));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok && r.reason === 'CHALLENGE_REPLAYED')).toHaveLength(7);
  });

  it('refuses beyond its capacity with the time until a place frees up, used challenges included, and serves again after the TTL', async () => {
    const store = new ChallengeStore(ds, { ttlMs: 30_000, capacity: 5, now: clock });
    const first = await store.issue('login');
    advance(10_000);
    for (let i = 0; i < 4; i++) await store.issue('login');
    // Answering a challenge (even with a wrong signature) does not give its place back.
    expect((await store.consume(first.challengeId, 'login')).ok).toBe(true);
    const refused = await store.issue('login').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ChallengeCapacityReached);
    expect(refused).toMatchObject({ reason: 'CHALLENGE_CAPACITY_REACHED', capacity: 5, retryAfterSeconds: 20 });
    expect(await store.size()).toEqual({ rows: 5, outstanding: 5 });
    advance(20_001); // the first expires
    expect(await store.issue('login')).toMatchObject({ challengeId: expect.any(String) });
    await expect(store.issue('login')).rejects.toBeInstanceOf(ChallengeCapacityReached);
    advance(30_000); // all of the first batch expired
    for (let i = 0; i < 4; i++) await store.issue('login');
  });

  it('holds no more than its capacity under a concurrent flood, and purges what expired', async () => {
    const store = new ChallengeStore(ds, { ttlMs: 30_000, capacity: 50, now: clock });
    const outcomes = await Promise.all(Array.from({ length: 300 }, () => store.issue('purchase').then(() => 'issued', (e: unknown) => (e instanceof ChallengeCapacityReached ? 'refused' : 'error'))));
    expect(outcomes.filter((o) => o === 'error')).toHaveLength(0);
    const { rows } = await store.size();
    // One statement checks and inserts; statements in flight at once (the pool: 10) may overshoot, never more.
    expect(rows).toBeGreaterThanOrEqual(50);
    expect(rows).toBeLessThanOrEqual(60);
    expect(outcomes.filter((o) => o === 'issued')).toHaveLength(rows);
    advance(30_001);
    expect(await store.purgeExpired()).toBe(0); // within the grace period: still answered CHALLENGE_EXPIRED
    advance(30_000);
    expect(await store.purgeExpired()).toBe(rows);
    expect(await store.size()).toEqual({ rows: 0, outstanding: 0 });
  });
});
