/**
 * All benchmarks of the platform, one after the other (`npm run bench`; `npm run bench -- --smoke` or BENCH_SMOKE=1 runs
 * each in seconds, as CI does, so none can rot). Each module exports `run()`, writes its figures to
 * `reports/bench/<name>.json` and is also runnable alone: `node -r @swc-node/register tools/bench/<name>.ts`.
 * The CA's own benchmark (phone issuance over Kafka) runs last, as its own process.
 *
 * `npm run bench -- --json`: stdout is one JSON document, `{ smoke, startedAt, finishedAt, benchmarks: { <name>:
 * { name, smoke, measuredAt, file, result } } }` (each entry what reports/bench/<name>.json holds, and where), and every
 * progress line goes to stderr. A failure is `{ error, reason: "FAILED", benchmarks: <those done> }` on stdout, exit 1.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const json = process.argv.includes('--json');
if (process.argv.includes('--smoke')) process.env['BENCH_SMOKE'] = '1';
const smoke = process.env['BENCH_SMOKE'] === '1';
const benches = ['idle', 'scp03', 'enrollment', 'citizens', 'bank-logins', 'loss-to-ocsp', 'ocsp'];

/** One benchmark's figures, as its `reports/bench/<name>.json` holds them, and that file. */
interface BenchFigures {
  name: string;
  smoke: boolean;
  measuredAt: string;
  file: string;
  result: unknown;
}

// Under --json stdout carries the document alone: the benchmarks' progress lines (console.log) go to stderr.
const writeStdout = process.stdout.write.bind(process.stdout);
if (json) process.stdout.write = process.stderr.write.bind(process.stderr) as typeof process.stdout.write;

const benchFile = (name: string) => join(process.cwd(), 'reports', 'bench', `${name}.json`);

/** The figures the CA's benchmark process wrote, refused when older than its run (a previous run's file). */
function writtenFigures(name: string, since: Date): BenchFigures {
  const file = benchFile(name);
  const { smoke, measuredAt, result } = JSON.parse(readFileSync(file, 'utf8')) as Omit<BenchFigures, 'file'>;
  if (!(new Date(measuredAt) >= since)) throw new Error(`${file} was not written by this run (measured at ${measuredAt})`);
  return { name, smoke, measuredAt, file: relative(process.cwd(), file), result };
}

async function main(done: Record<string, BenchFigures>): Promise<void> {
  for (const name of benches) {
    const module = (await import(`./${name}`)) as { run(): Promise<unknown> };
    const result = await module.run();
    done[name] = { name, smoke, measuredAt: new Date().toISOString(), file: relative(process.cwd(), benchFile(name)), result };
  }
  const { DATABASE_URL, KAFKA_BROKERS } = await import('./bench-support');
  const caStarted = new Date();
  execFileSync(process.execPath, ['-r', '@swc-node/register', 'apps/jpki-ca/src/test/bench.ts'], {
    // Under --json the child's lines go to stderr too (fd 2).
    stdio: json ? ['inherit', 2, 'inherit'] : 'inherit',
    env: { ...process.env, TEST_RUN_ID: `bench${Date.now().toString(36)}`, DATABASE_URL, KAFKA_BROKERS },
  });
  if (json) done['ca'] = writtenFigures('ca', caStarted);
}

const startedAt = new Date().toISOString();
const benchmarks: Record<string, BenchFigures> = {};
const emit = (document: unknown) => new Promise<void>((resolve) => writeStdout(`${JSON.stringify(document, null, 2)}\n`, () => resolve()));

main(benchmarks).then(
  async () => {
    if (json) await emit({ smoke, startedAt, finishedAt: new Date().toISOString(), benchmarks });
    process.exit(0);
  },
  async (error: unknown) => {
    console.error(error);
    if (json) await emit({ error: error instanceof Error ? error.message : String(error), reason: 'FAILED', benchmarks });
    process.exit(1);
  },
);
