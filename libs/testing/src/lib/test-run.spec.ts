import { abandonedRunOf, ABANDONED_RUN_AGE_MS, newTestRunId } from './test-run';

describe('abandoned test runs', () => {
  const now = Date.now();
  const runAt = (ms: number) => `t${ms.toString(36)}abcd`;

  it('names a topic or schema of a run older than the limit, and nothing younger', () => {
    const old = runAt(now - ABANDONED_RUN_AGE_MS - 60_000);
    expect(abandonedRunOf(`${old}.sptsm.commands`, now)).toBe(old);
    expect(abandonedRunOf(`${old}_mno_tsm_kddi_3f9a1c`, now)).toBe(old);
    expect(abandonedRunOf(`${runAt(now - 60_000)}.sptsm.commands`, now)).toBeUndefined();
    expect(abandonedRunOf(`${newTestRunId()}.ca.events`, now)).toBeUndefined();
  });

  it('leaves everything that is not a test run alone', () => {
    for (const name of ['sptsm.commands', 'demo.ca.events', 'demo_sp_tsm', 'public', 'pg_catalog', 'tmwwfznrt.x', `T${(now - 10 * ABANDONED_RUN_AGE_MS).toString(36)}abcd.x`]) {
      expect(abandonedRunOf(name, now)).toBeUndefined();
    }
  });
});
