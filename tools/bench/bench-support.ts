/** What the benchmarks share: the machine's own crypto baseline, clean-up, and running as a script. */
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { Client } from 'pg';
import { deleteTopicsWithPrefix, type kafkaClient } from '@jpki/messaging';

export const DATABASE_URL = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const KAFKA_BROKERS = process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092';
export const log = (line: string) => console.log(line);

/** Operations per second of a synchronous operation, over `ms` milliseconds on this thread (after a warm-up). */
export function measureRate(ms: number, op: () => void): number {
  for (let i = 0; i < 50; i++) op();
  const start = process.hrtime.bigint();
  const until = Date.now() + ms;
  let n = 0;
  while (Date.now() < until) {
    for (let i = 0; i < 20; i++) op();
    n += 20;
  }
  return n / (Number(process.hrtime.bigint() - start) / 1e9);
}

/** RSA-2048 PKCS#1 v1.5 SHA-256 signatures per second on this thread, over 2 s: the baseline every figure is set against. */
export function rsa2048SignRate(): number {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const data = randomBytes(256);
  return measureRate(2000, () => sign('sha256', data, privateKey));
}

/** The p-quantile of sorted values. */
export const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? NaN;

/** Drops the benchmark's schemas (`<tag>_*`) and topics. */
export async function cleanUpBenchEnvironment(tag: string, topicPrefix: string, kafka: ReturnType<typeof kafkaClient>): Promise<void> {
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
