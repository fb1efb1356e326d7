/** What the benchmarks share: the machine's own crypto baseline, the platform under measurement, and running as a script. */
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { localEndpoints, type PlatformEndpoints } from '@jpki/jpki-client';
import { deleteTopicsWithPrefix, ensureTopics, kafkaClient, LOCAL_KAFKA, useLocalKafkaAdmin } from '@jpki/messaging';
import { freePortOffset, measureRate, platformStack, releasePortOffset, TopicWatcher, type StackKeys } from '@jpki/testing';

export const DATABASE_URL = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
useLocalKafkaAdmin();
export const KAFKA_BROKERS = process.env['KAFKA_BROKERS'] ?? LOCAL_KAFKA;
export const log = (line: string) => console.log(line);

/** RSA-2048 PKCS#1 v1.5 SHA-256 signatures per second on this thread, over 2 s: the baseline every figure is set against. */
export function rsa2048SignRate(): number {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const data = randomBytes(256);
  return measureRate(benchDuration(2000), () => sign('sha256', data, privateKey));
}

/** The p-quantile of sorted values. */
export const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? NaN;

export interface BenchPlatform {
  readonly endpoints: PlatformEndpoints;
  readonly keys: StackKeys;
  /** Follows these topics of the benchmark's platform from their beginning (stopped with the platform). */
  watch(...logicalTopics: string[]): Promise<TopicWatcher>;
  /** Stops the services and drops the benchmark's topics and schemas. */
  stop(): Promise<void>;
}

/**
 * Starts the named services as processes on their own topics (`bench<time>.*`), schemas and free ports. Cheap card-file
 * KDF and a small CA key pool: the benchmarks measure the platform's paths, not test-citizen setup.
 */
export async function startBenchPlatform(
  only: string[],
  logLevel: 'error' | 'warn',
  serviceEnv: Record<string, Record<string, string>> = {},
): Promise<BenchPlatform> {
  const tag = `bench${Date.now().toString(36)}`;
  const topicPrefix = `${tag}.`;
  const kafka = kafkaClient(tag, KAFKA_BROKERS.split(','));
  log(`starting ${only.join(', ')} (topics ${topicPrefix}*, schemas ${tag}_*)…`);
  await ensureTopics(kafka, topicPrefix);
  const portOffset = await freePortOffset();
  const { stack, keys } = platformStack({
    databaseUrl: DATABASE_URL,
    kafkaBrokers: KAFKA_BROKERS,
    topicPrefix,
    schemaPrefix: `${tag}_`,
    portOffset,
    logDir: join(tmpdir(), 'jpki-bench', tag),
    only,
    env: { LOG_LEVEL: logLevel },
    serviceEnv: { ...serviceEnv, 'jpki-ca': { KEY_POOL_SIZE: '4', CARD_FILE_KDF_LOG2N: '10', ...serviceEnv['jpki-ca'] } },
  });
  const watchers: TopicWatcher[] = [];
  const watch = async (...logicalTopics: string[]) => {
    watchers.push(new TopicWatcher(kafka, topicPrefix));
    return watchers[watchers.length - 1].watch(...logicalTopics);
  };
  const stop = async () => {
    await Promise.all(watchers.map((w) => w.stop()));
    await stack.stopAll();
    releasePortOffset(portOffset);
    await cleanUpBenchEnvironment(tag, topicPrefix, kafka);
  };
  try {
    await stack.startAll((s) => log(`  ${s.spec.name} ready on :${s.spec.port}`));
  } catch (err) {
    await stop();
    throw err;
  }
  return { endpoints: localEndpoints(portOffset), keys, watch, stop };
}

/** Drops the benchmark's schemas (`<tag>_*`) and topics. */
async function cleanUpBenchEnvironment(tag: string, topicPrefix: string, kafka: ReturnType<typeof kafkaClient>): Promise<void> {
  const pg = new Client({ connectionString: DATABASE_URL });
  await pg.connect();
  try {
    const { rows } = await pg.query<{ nspname: string }>(`SELECT nspname FROM pg_namespace WHERE nspname LIKE $1`, [`${tag}\\_%`]);
    for (const { nspname } of rows) await pg.query(`DROP SCHEMA "${nspname}" CASCADE`);
  } finally {
    await pg.end();
  }
  await deleteTopicsWithPrefix(kafka, topicPrefix).catch(() => undefined);
}

/** Runs a benchmark module when it is the entry point (`node -r @swc-node/register tools/bench/<name>.ts`). */
export function runAsScript(module: NodeModule, run: () => Promise<unknown>): void {
  if (require.main !== module) return;
  run().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}

/** BENCH_SMOKE=1 (CI): every benchmark runs in seconds, so it cannot rot; its figures then mean nothing. */
export const SMOKE = process.env['BENCH_SMOKE'] === '1';

/** A benchmark's measuring time per figure: BENCH_MS, or the default, or 200 ms in smoke mode. */
export function benchDuration(defaultMs: number): number {
  return SMOKE ? 200 : Number(process.env['BENCH_MS'] ?? defaultMs);
}

/** Writes a benchmark's figures as JSON to `reports/bench/<name>.json` (git-ignored) for scripts and the README. */
export function writeBenchResult(name: string, result: unknown): void {
  const dir = join(process.cwd(), 'reports', 'bench');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.json`);
  writeFileSync(file, `${JSON.stringify({ name, smoke: SMOKE, measuredAt: new Date().toISOString(), result }, null, 2)}\n`);
  log(`  figures written to ${file}`);
}

export interface ProcessCpu {
  /** This process's children (the services it started): CPU time (s, user + system) and resident memory. */
  services: { cpuS: number; rssMb: number };
  /** PostgreSQL's processes and the Kafka broker's, CPU time (s) so far. */
  postgresCpuS: number;
  kafkaCpuS: number;
}

/** CPU used so far by the services, PostgreSQL and the broker, read from /proc (Linux). */
export function processCpu(): ProcessCpu {
  const out: ProcessCpu = { services: { cpuS: 0, rssMb: 0 }, postgresCpuS: 0, kafkaCpuS: 0 };
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
      const cpuS = (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime (fields 14 and 15)
      if (fields[1] === String(process.pid)) {
        out.services.cpuS += cpuS;
        out.services.rssMb += Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
        continue;
      }
      const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (stat.includes('(postgres)')) out.postgresCpuS += cpuS;
      else if (command.includes('kafka.Kafka')) out.kafkaCpuS += cpuS;
    } catch {
      // gone
    }
  }
  out.services.rssMb = Math.round(out.services.rssMb);
  return out;
}

/** Runs `op` from `concurrency` loops for `seconds`, printing progress every second; rate, latency and errors. */
export async function hammer(label: string, seconds: number, concurrency: number, op: () => Promise<void>): Promise<{ perSecond: number; p50Ms: number; p95Ms: number; errors: number; done: number }> {
  const latencies: number[] = [];
  let errors = 0;
  let firstError: unknown;
  const start = Date.now();
  const until = start + seconds * 1000;
  const progress = setInterval(() => log(`  ${label}: ${((Date.now() - start) / 1000).toFixed(0)} s, ${latencies.length} done (${(latencies.length / ((Date.now() - start) / 1000)).toFixed(0)}/s)`), 1000);
  try {
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (Date.now() < until) {
          const t0 = process.hrtime.bigint();
          try {
            await op();
            latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
          } catch (error) {
            errors++;
            firstError ??= error;
          }
        }
      }),
    );
  } finally {
    clearInterval(progress);
  }
  const elapsed = (Date.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  if (firstError) log(`  ${errors} errors, first: ${(firstError as Error).message}`);
  return { perSecond: latencies.length / elapsed, p50Ms: percentile(latencies, 0.5), p95Ms: percentile(latencies, 0.95), errors, done: latencies.length };
}
