/**
 * All benchmarks of the platform, one after the other (`npm run bench`; `npm run bench -- --smoke` or BENCH_SMOKE=1 runs
 * each in seconds, as CI does, so none can rot). Each module exports `run()`, writes its figures to
 * `reports/bench/<name>.json` and is also runnable alone: `node -r @swc-node/register tools/bench/<name>.ts`.
 * The CA's own benchmark (OCSP beside `openssl ocsp`, issuance over Kafka) runs last, as its own process.
 */
import { execFileSync } from 'node:child_process';

if (process.argv.includes('--smoke')) process.env['BENCH_SMOKE'] = '1';
const benches = ['./idle', './scp03', './enrollment', './bank-logins', './loss-to-ocsp'];

async function main(): Promise<void> {
  for (const bench of benches) {
    const module = (await import(bench)) as { run(): Promise<unknown> };
    await module.run();
  }
  const { DATABASE_URL, KAFKA_BROKERS } = await import('./bench-support');
  execFileSync(process.execPath, ['-r', '@swc-node/register', 'apps/jpki-ca/src/test/bench.ts'], {
    stdio: 'inherit',
    env: { ...process.env, TEST_RUN_ID: `bench${Date.now().toString(36)}`, DATABASE_URL, KAFKA_BROKERS },
  });
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
