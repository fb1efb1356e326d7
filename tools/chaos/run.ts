/**
 * Fault-injection run over the whole platform: every service as its own process (sp-tsm and jpki-ca with a second
 * replica), a mixed workload (SIM enrollments on docomo, KDDI, SoftBank and the MVNO mineo in both key modes, iPhone
 * enrollments by both methods, bank logins, loss and found, device changes, contract ends) while service instances are
 * SIGKILLed (one or two at once) on a schedule, a poison record is
 * injected, and the OTA bearer adds latency and loss (the long mode also takes one carrier's MNO-TSM down for a minute
 * and restarts the broker); then quiescence and the invariant checks. Exits 1 on any violation.
 *
 *   npm run chaos -- --smoke                       about 2-3 minutes; SIGKILLs only
 *   npm run chaos -- --duration 10m --seed 7       the long run, with one broker restart
 *   flags: --no-broker-restart, --postgres-restart (restarts the shared local cluster: off by default), --json, --keep
 *
 * Broker and PostgreSQL restarts disturb everyone using them: run those under `flock /tmp/jpki-heavy.lock`.
 */
import { Command, InvalidArgumentError } from 'commander';
import { DEFAULT_OTA_BEARER, runChaos, type ChaosSummary } from './chaos-run';
import { LOCAL_KAFKA, useLocalKafkaAdmin } from '@jpki/messaging';
import { printResults } from '@jpki/operations';

interface Options {
  smoke?: boolean;
  duration?: string;
  seed: string;
  brokerRestart: boolean;
  postgresRestart?: boolean;
  concurrency: string;
  json?: boolean;
  keep?: boolean;
}

function parseDuration(v: string): number {
  const m = /^(\d+)(s|m)$/.exec(v);
  if (!m) throw new InvalidArgumentError('a duration like 90s or 10m');
  return Number(m[1]) * (m[2] === 'm' ? 60_000 : 1000);
}

function printSummary(s: ChaosSummary): void {
  console.log(`\nchaos run, seed ${s.seed}: start ${s.seconds.start} s, workload ${s.seconds.workload} s, quiescence ${s.seconds.quiescence} s, total ${s.seconds.total} s`);
  console.log('\n operation      outcomes');
  for (const [kind, outcomes] of Object.entries(s.operations)) {
    const total = Object.values(outcomes).reduce((a, b) => a + b, 0);
    console.log(` ${kind.padEnd(14)} ${String(total).padStart(4)}  ${Object.entries(outcomes).map(([o, n]) => `${o} ${n}`).join(', ') || '-'}`);
  }
  const byKind = s.faults.reduce<Record<string, number>>((acc, f) => ({ ...acc, [f.kind]: (acc[f.kind] ?? 0) + 1 }), {});
  const killed = s.faults.reduce((n, f) => n + (f.kind.startsWith('sigkill') ? f.targets.length : 0), 0);
  console.log(`\n faults: ${s.faults.length} (${Object.entries(byKind).map(([k, n]) => `${k} ${n}`).join(', ')}); instances SIGKILLed: ${killed}`);
  console.log(` quiescent: ${s.quiescent ? 'yes' : 'NO'}\n`);
  printResults(s.invariants, console.log);
  console.log(s.passed ? '\nchaos: PASSED' : '\nchaos: FAILED');
}

const program = new Command('chaos')
  .description('fault injection over the whole platform, then the invariant checks')
  .option('--smoke', 'a short run (about 2-3 minutes) with SIGKILLs only, as CI runs it')
  .option('--duration <d>', 'how long the workload runs under faults (e.g. 90s, 10m)')
  .option('--seed <n>', 'seed of the workload and fault schedule', String(Date.now() % 100_000))
  .option('--no-broker-restart', 'no broker stop/start')
  .option('--postgres-restart', 'restart the local PostgreSQL cluster once (disturbs every other user of it)')
  .option('--concurrency <n>', 'operations in flight at once', '3')
  .option('--json', 'the summary as JSON')
  .option('--keep', 'keep the run\'s topics and schemas')
  .action(async (o: Options) => {
    useLocalKafkaAdmin();
    const smoke = !!o.smoke;
    const summary = await runChaos({
      databaseUrl: process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres',
      brokers: (process.env['KAFKA_BROKERS'] ?? LOCAL_KAFKA).split(','),
      prefix: `chaos${Date.now().toString(36)}`,
      seed: Number(o.seed),
      workloadMs: o.duration ? parseDuration(o.duration) : smoke ? 60_000 : 600_000,
      faultEveryMs: smoke ? 8_000 : 5_000,
      concurrency: Number(o.concurrency),
      replicas: smoke ? { 'sp-tsm': 1 } : { 'sp-tsm': 1, 'jpki-ca': 1 },
      otaBearer: DEFAULT_OTA_BEARER,
      brokerRestart: !smoke && o.brokerRestart && !process.env['KAFKA_BROKERS'],
      mnoTsmOutage: !smoke,
      otaDegradation: !smoke,
      postgresRestart: !!o.postgresRestart,
      quiescenceTimeoutMs: smoke ? 45_000 : 180_000,
      keep: !!o.keep,
      log: (line) => (o.json ? console.error : console.log)(`[chaos] ${line}`),
    });
    if (o.json) console.log(JSON.stringify(summary, null, 2));
    else printSummary(summary);
    process.exitCode = summary.passed ? 0 : 1;
  });

program.parseAsync().catch((err: Error) => {
  console.error(`chaos: ${err.stack ?? err.message}`);
  process.exit(2);
});
