import { randomBytes } from 'node:crypto';
import { testDatabaseUrl, testKafkaBrokers, testRunId } from '@jpki/testing';
import { DEFAULT_OTA_BEARER, runChaos } from './chaos-run';

/**
 * The chaos runner's smoke mode as CI runs it: the platform with an sp-tsm replica, a poison record and a mixed workload while service
 * instances are SIGKILLed, then every invariant. The broker and PostgreSQL stay up here: other test files of the same
 * Jest run use them (`npm run chaos` restarts the broker in its long mode).
 */
describe('chaos smoke: SIGKILLs under a mixed workload lose, double and strand nothing', () => {
  it('ends quiescent with every invariant holding', async () => {
    const lines: string[] = [];
    const summary = await runChaos({
      databaseUrl: testDatabaseUrl(),
      brokers: testKafkaBrokers(),
      prefix: `${testRunId()}_chaos${randomBytes(2).toString('hex')}`,
      seed: 20_261_203,
      workloadMs: 50_000,
      faultEveryMs: 8_000,
      concurrency: 2,
      replicas: { 'sp-tsm': 1 },
      otaBearer: DEFAULT_OTA_BEARER,
      mnoTsmOutage: false,
      brokerRestart: false,
      postgresRestart: false,
      quiescenceTimeoutMs: 90_000,
      keep: false,
      log: (line) => lines.push(line),
    });
    const failed = summary.invariants.filter((r) => !r.passed);
    if (!summary.passed) console.log(lines.join('\n'));
    expect({ quiescent: summary.quiescent, failed }).toEqual({ quiescent: true, failed: [] });
    expect(summary.invariants.map((r) => r.name)).toEqual(expect.arrayContaining(['ca-audit-chain-intact', 'card-registries-agree-with-tsm-records', 'ocsp-and-crl-agree-with-ca-and-lifecycle']));
    expect(summary.invariants.length).toBeGreaterThanOrEqual(18);
    expect(summary.operations.enroll['completed']).toBeGreaterThan(0);
    expect(summary.faults.filter((f) => f.kind.startsWith('sigkill')).length).toBeGreaterThan(0);
    expect(summary.faults.map((f) => f.kind)).toContain('poison');
  }, 240_000);
});
