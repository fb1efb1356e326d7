/**
 * Benchmark: what the idle platform costs. Every service runs as its own process with nothing to do; their CPU, and what
 * they add to PostgreSQL and the broker (against the same window measured before they started), as a share of this
 * machine's cores. Target: at most 5 % of the machine.
 *
 *   node -r @swc-node/register tools/bench/idle.ts        (BENCH_MS=<window>, 30 s by default)
 */
import { availableParallelism } from 'node:os';
import { PLATFORM_SERVICES } from '@jpki/testing';
import { benchDuration, log, processCpu, runAsScript, SMOKE, startBenchPlatform, writeBenchResult, type ProcessCpu } from './bench-support';

export interface IdleBenchResult {
  cores: number;
  windowS: number;
  services: string[];
  /** Shares of the machine (all cores), 0..1; PostgreSQL and the broker: what they use beyond their own idle. */
  servicesShare: number;
  postgresAddedShare: number;
  kafkaAddedShare: number;
  totalShare: number;
  servicesRssMb: number;
}

const SETTLE_MS = 10_000;

async function window(ms: number): Promise<{ from: ProcessCpu; to: ProcessCpu; seconds: number }> {
  const from = processCpu();
  const t0 = Date.now();
  await new Promise((r) => setTimeout(r, ms));
  return { from, to: processCpu(), seconds: (Date.now() - t0) / 1000 };
}

export async function run(): Promise<IdleBenchResult> {
  const cores = availableParallelism();
  const ms = benchDuration(30_000);
  log(`idle: PostgreSQL and the broker alone for ${ms / 1000} s…`);
  const before = await window(ms);
  const p = await startBenchPlatform([...PLATFORM_SERVICES], 'error');
  try {
    await new Promise((r) => setTimeout(r, SMOKE ? 200 : SETTLE_MS));
    log(`idle: the platform (${PLATFORM_SERVICES.length} services) doing nothing for ${ms / 1000} s…`);
    const idle = await window(ms);
    const share = (cpuS: number, seconds: number) => cpuS / seconds / cores;
    const added = (pick: (c: ProcessCpu) => number) =>
      Math.max(0, share(pick(idle.to) - pick(idle.from), idle.seconds) - share(pick(before.to) - pick(before.from), before.seconds));
    const servicesShare = share(idle.to.services.cpuS - idle.from.services.cpuS, idle.seconds);
    const postgresAddedShare = added((c) => c.postgresCpuS);
    const kafkaAddedShare = added((c) => c.kafkaCpuS);
    const result: IdleBenchResult = {
      cores,
      windowS: idle.seconds,
      services: [...PLATFORM_SERVICES],
      servicesShare,
      postgresAddedShare,
      kafkaAddedShare,
      totalShare: servicesShare + postgresAddedShare + kafkaAddedShare,
      servicesRssMb: idle.to.services.rssMb,
    };
    const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
    log(`| idle platform, ${cores} cores | services | + PostgreSQL | + broker | total | resident |`);
    log('|---|---:|---:|---:|---:|---:|');
    log(`| ${result.services.length} services, ${result.windowS.toFixed(0)} s | ${pct(servicesShare)} | ${pct(postgresAddedShare)} | ${pct(kafkaAddedShare)} | ${pct(result.totalShare)} | ${result.servicesRssMb} MB |`);
    writeBenchResult('idle', result);
    return result;
  } finally {
    await p.stop();
  }
}

runAsScript(module, run);
