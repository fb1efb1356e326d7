/**
 * Benchmark: SIM enrollment latency per saga step and end to end, and enrollments per second, at several concurrency
 * levels, across docomo, KDDI, SoftBank and an MVNO (mineo on KDDI), both key modes alternating, once with the carriers'
 * profile OTA latencies and once with zero OTA latency — beside the crypto bound of one enrollment measured in the same
 * run (one RSA-2048 key generation and four RSA-2048 signatures per enrollment, spread over this machine's cores).
 *
 *   node -r @swc-node/register tools/bench/enrollment.ts        (needs PostgreSQL and Kafka: npm run infra:up)
 *   BENCH_CONCURRENCY=1,10,50 BENCH_ROUNDS=2 …                    (defaults; each level runs ROUNDS × level enrollments)
 *   BENCH_CONCURRENCY=25 BENCH_ROUNDS=80 BENCH_ZERO_OTA=0 …        (2,000 enrollments in one run, carriers' latency only)
 *
 * Citizens and subscribers are created before the clock starts: the figures are the enrollment saga's (identity
 * proofing → eligibility → SSD → key handover → applet → key → issuance → certificate write → activation), measured
 * from the SP-TSM's HTTP 202 to the saga's `completed`, every service a separate process on this machine.
 */
import { availableParallelism } from 'node:os';
import { CARRIERS, type Carrier, type EnrollmentView, type KeyMode, type MvnoId } from '@jpki/contracts';
import { createSubscriber, createTestCitizens, JpkiUiApp, type Subscriber, type TestCitizen } from '@jpki/jpki-client';
import { enrollmentCryptoBound, type EnrollmentCryptoBound } from '@jpki/testing';
import { benchDuration, log, percentile, runAsScript, SMOKE, startBenchPlatform, writeBenchResult, type BenchPlatform } from './bench-support';

const LEVELS = (process.env['BENCH_CONCURRENCY'] ?? (SMOKE ? '1,2' : '1,10,50')).split(',').map(Number);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? (SMOKE ? 1 : 2));
/** BENCH_ZERO_OTA=0 skips the second platform (zero OTA latency), e.g. for one long run of 2,000 enrollments. */
const ZERO_OTA = process.env['BENCH_ZERO_OTA'] !== '0';
const SERVICES = ['jpki-ca', 'sp-tsm', 'mno-tsm-docomo', 'mno-tsm-kddi', 'mno-tsm-softbank', 'vsim'];
const OPERATORS: (Carrier | MvnoId)[] = ['docomo', 'kddi', 'softbank', 'mineo'];
const CARRIER_TSMS = ['mno-tsm-docomo', 'mno-tsm-kddi', 'mno-tsm-softbank'];

interface LevelResult {
  concurrency: number;
  enrollments: number;
  failed: number;
  perSecond: number;
  ofCryptoBound: number;
  endToEnd: { p50Ms: number; p95Ms: number; maxMs: number };
  steps: Record<string, { p50Ms: number; p95Ms: number }>;
}

export interface EnrollmentBenchResult {
  cores: number;
  crypto: EnrollmentCryptoBound;
  otaProfile: LevelResult[];
  otaZero: LevelResult[];
}

function cryptoBound(): EnrollmentBenchResult['crypto'] {
  log('crypto bound of one enrollment (node:crypto, this thread)…');
  return enrollmentCryptoBound(benchDuration(4000), benchDuration(2000));
}

interface Applicant {
  citizen: TestCitizen;
  subscriber: Subscriber;
  operator: Carrier | MvnoId;
  keyMode: KeyMode;
}

/** Citizens and subscribers, a few at a time (not measured). */
async function applicants(p: BenchPlatform, count: number): Promise<Applicant[]> {
  const token = p.keys.operatorToken('bench@integrator', ['integrator', 'operator']);
  const citizens: TestCitizen[] = [];
  for (let first = 0; first < count; first += 100) {
    const people = Array.from({ length: Math.min(100, count - first) }, (_, j) => ({ name: `ベンチ 申請${first + j}` }));
    citizens.push(...(await createTestCitizens(p.endpoints, token, people)));
    log(`  ${citizens.length} of ${count} citizens created`);
  }
  const out: Applicant[] = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const operator = OPERATORS[i % OPERATORS.length];
      out[i] = { citizen: citizens[i], subscriber: await createSubscriber(p.endpoints, token, operator), operator, keyMode: i % 2 === 0 ? 'on-card' : 'delivered' };
      if ((i + 1) % 200 === 0) log(`  ${i + 1} of ${count} subscribers created`);
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  return out;
}

/** Milliseconds each completed step took, from the saga history (one entry per step that completed). */
function stepDurations(view: EnrollmentView, startedAt: number): Record<string, number> {
  const out: Record<string, number> = {};
  let previous = startedAt;
  for (const h of view.history) {
    if (h.outcome !== 'completed' || !h.step) continue;
    const at = Date.parse(h.at);
    out[h.step] = at - previous;
    previous = at;
  }
  return out;
}

async function runLevel(p: BenchPlatform, batch: Applicant[], concurrency: number, boundPerSecond: number): Promise<LevelResult> {
  const app = new JpkiUiApp(p.endpoints);
  const latencies: number[] = [];
  const steps = new Map<string, number[]>();
  let failed = 0;
  let next = 0;
  const started = Date.now();
  const worker = async () => {
    while (next < batch.length) {
      const a = batch[next++];
      const t0 = Date.now();
      const view = await app.startEnrollment({ card: a.citizen.card, signingPassword: a.citizen.signingPassword, msisdn: a.subscriber.msisdn, operator: a.operator, keyMode: a.keyMode });
      const done = await app.waitForEnrollment(view.enrollmentId, undefined, 600_000);
      if (done.status !== 'completed') {
        failed++;
        log(`  enrollment ${done.enrollmentId} ${done.status}: ${JSON.stringify(done.failure)}`);
        continue;
      }
      const last = done.history.filter((h) => h.outcome === 'completed').at(-1);
      latencies.push((last ? Date.parse(last.at) : Date.now()) - t0);
      for (const [step, ms] of Object.entries(stepDurations(done, t0))) steps.set(step, [...(steps.get(step) ?? []), ms]);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = (Date.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const perSecond = latencies.length / elapsed;
  return {
    concurrency,
    enrollments: batch.length,
    failed,
    perSecond,
    ofCryptoBound: perSecond / boundPerSecond,
    endToEnd: { p50Ms: percentile(latencies, 0.5), p95Ms: percentile(latencies, 0.95), maxMs: latencies.at(-1) ?? NaN },
    steps: Object.fromEntries(
      [...steps].map(([step, values]) => {
        const sorted = [...values].sort((a, b) => a - b);
        return [step, { p50Ms: percentile(sorted, 0.5), p95Ms: percentile(sorted, 0.95) }];
      }),
    ),
  };
}

async function runAll(label: string, serviceEnv: Record<string, Record<string, string>>, levels: number[], boundPerSecond: number): Promise<LevelResult[]> {
  const p = await startBenchPlatform(SERVICES, 'error', serviceEnv);
  try {
    const sizes = levels.map((c) => Math.max(c * ROUNDS, SMOKE ? 1 : 4));
    log(`${label}: creating ${sizes.reduce((a, b) => a + b, 0)} citizens and subscribers (not measured)…`);
    const all = await applicants(p, sizes.reduce((a, b) => a + b, 0));
    const results: LevelResult[] = [];
    let offset = 0;
    for (const [i, concurrency] of levels.entries()) {
      const batch = all.slice(offset, offset + sizes[i]);
      offset += sizes[i];
      log(`${label}: ${batch.length} enrollments, ${concurrency} at a time…`);
      const r = await runLevel(p, batch, concurrency, boundPerSecond);
      results.push(r);
      log(`  ${r.perSecond.toFixed(2)}/s (${(r.ofCryptoBound * 100).toFixed(1)} % of the crypto bound), p50 ${r.endToEnd.p50Ms} ms, p95 ${r.endToEnd.p95Ms} ms${r.failed ? `, ${r.failed} failed` : ''}`);
    }
    return results;
  } finally {
    await p.stop();
  }
}

function report(r: EnrollmentBenchResult): void {
  log('');
  log(`crypto bound: RSA-2048 keygen ${r.crypto.rsa2048KeygenPerSecond.toFixed(1)}/s, sign ${r.crypto.rsa2048SignPerSecond.toFixed(0)}/s on one thread → ` +
    `${(r.crypto.coreSecondsPerEnrollment * 1000).toFixed(0)} core-ms per enrollment → ${r.crypto.boundPerSecond.toFixed(1)} enrollments/s on ${r.cores} cores`);
  for (const [label, rows] of [['carriers\' OTA latency', r.otaProfile], ['zero OTA latency', r.otaZero]] as const) {
    log(`| ${label}: concurrent | enrollments | per second | × crypto bound | p50 | p95 | max | failed |`);
    log('|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const l of rows) {
      log(`| ${l.concurrency} | ${l.enrollments} | ${l.perSecond.toFixed(2)} | ${l.ofCryptoBound.toFixed(3)} | ${l.endToEnd.p50Ms} ms | ${l.endToEnd.p95Ms} ms | ${l.endToEnd.maxMs} ms | ${l.failed} |`);
    }
    const first = rows[0];
    if (first) log(`  steps at ${first.concurrency} concurrent (p50): ${Object.entries(first.steps).map(([s, v]) => `${s} ${v.p50Ms} ms`).join(', ')}`);
  }
}

export async function run(): Promise<EnrollmentBenchResult> {
  const crypto = cryptoBound();
  const otaProfile = await runAll('carriers\' OTA latency', {}, LEVELS, crypto.boundPerSecond);
  // The transit itself is vsim's bearer; the MNO-TSMs size their response timeouts from their own profile latency.
  const zero = {
    ...Object.fromEntries(CARRIER_TSMS.map((s) => [s, { OTA_LATENCY_MS: '0' }])),
    vsim: { OTA_BEARER: CARRIERS.map((c) => `${c}:latency=0`).join(';') },
  };
  const otaZero = ZERO_OTA ? await runAll('zero OTA latency', zero, SMOKE ? LEVELS.slice(0, 1) : LEVELS, crypto.boundPerSecond) : [];
  const result: EnrollmentBenchResult = { cores: availableParallelism(), crypto, otaProfile, otaZero };
  report(result);
  writeBenchResult('enrollment', result);
  if ([...otaProfile, ...otaZero].some((l) => l.failed > 0)) throw new Error('some enrollments failed');
  return result;
}

runAsScript(module, run);
