/**
 * Benchmark: test citizens (virtual My Number cards) per second, the way a large simulation creates its population —
 * one `POST /citizens` per person from 4 concurrent clients, and `POST /citizens/batch` 25 people at a time — beside
 * the crypto bound of one card measured in the same run (two RSA-2048 key generations and two signatures, over this
 * machine's cores).
 *
 *   node -r @swc-node/register tools/bench/citizens.ts        (needs PostgreSQL and Kafka: npm run infra:up)
 *   BENCH_CITIZENS=100 BENCH_ROUNDS=2 …                          (defaults: each round creates that many each way)
 *
 * jpki-ca runs as its own process with the benchmarks' cheap card-file KDF (the municipality's scrypt is not the
 * platform's cost) and its default key pool; the two ways alternate, so neither always finds the pool full.
 */
import { availableParallelism } from 'node:os';
import { createTestCitizen, createTestCitizens } from '@jpki/jpki-client';
import { enrollmentCryptoBound } from '@jpki/testing';
import { benchDuration, log, runAsScript, SMOKE, startBenchPlatform, writeBenchResult } from './bench-support';

const CITIZENS = Number(process.env['BENCH_CITIZENS'] ?? (SMOKE ? 4 : 100));
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? (SMOKE ? 1 : 2));
const CLIENTS = 4;

export interface CitizensResult {
  rsa2048KeygenPerSecond: number;
  rsa2048SignPerSecond: number;
  /** Cards per second if the machine did nothing but their cryptography, on every core. */
  boundPerSecond: number;
  rounds: { oneByOnePerSecond: number; batchPerSecond: number }[];
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  await work();
  return CITIZENS / (Number(process.hrtime.bigint() - started) / 1e9);
}

export async function run(): Promise<CitizensResult> {
  log(`== test citizens: ${CITIZENS} one by one (${CLIENTS} clients) and ${CITIZENS} in batches, ${ROUNDS} round(s) ==`);
  const crypto = enrollmentCryptoBound(benchDuration(3000), benchDuration(1000));
  const coreSecondsPerCard = 2 / crypto.rsa2048KeygenPerSecond + 2 / crypto.rsa2048SignPerSecond;
  const boundPerSecond = availableParallelism() / coreSecondsPerCard;
  log(`crypto bound: RSA-2048 keygen ${crypto.rsa2048KeygenPerSecond.toFixed(1)}/s, sign ${crypto.rsa2048SignPerSecond.toFixed(0)}/s → ${boundPerSecond.toFixed(1)} cards/s`);

  const platform = await startBenchPlatform(['jpki-ca'], 'error');
  try {
    const token = platform.keys.operatorToken('bench@integrator', ['integrator']);
    const rounds: CitizensResult['rounds'] = [];
    for (let round = 0; round < ROUNDS; round++) {
      let next = 0;
      const oneByOnePerSecond = await timed(() =>
        Promise.all(
          Array.from({ length: CLIENTS }, async () => {
            while (next++ < CITIZENS) await createTestCitizen(platform.endpoints, token, { name: `ベンチ 市民${next}` });
          }),
        ),
      );
      const batchPerSecond = await timed(() => createTestCitizens(platform.endpoints, token, Array.from({ length: CITIZENS }, (_, i) => ({ name: `ベンチ 一括${i}` }))));
      rounds.push({ oneByOnePerSecond, batchPerSecond });
      log(`  round ${round + 1}: one by one ${oneByOnePerSecond.toFixed(2)}/s, batch ${batchPerSecond.toFixed(2)}/s`);
    }
    const result: CitizensResult = {
      rsa2048KeygenPerSecond: crypto.rsa2048KeygenPerSecond,
      rsa2048SignPerSecond: crypto.rsa2048SignPerSecond,
      boundPerSecond,
      rounds,
    };
    log('| test citizens | per second | × crypto bound |');
    log('|---|---:|---:|');
    for (const [i, r] of rounds.entries()) {
      log(`| round ${i + 1}, one by one (${CLIENTS} clients) | ${r.oneByOnePerSecond.toFixed(2)} | ${(r.oneByOnePerSecond / boundPerSecond).toFixed(2)} |`);
      log(`| round ${i + 1}, POST /citizens/batch | ${r.batchPerSecond.toFixed(2)} | ${(r.batchPerSecond / boundPerSecond).toFixed(2)} |`);
    }
    writeBenchResult('citizens', result);
    return result;
  } finally {
    await platform.stop();
  }
}

runAsScript(module, run);
