import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { CheckResult } from '@jpki/operations';
import type { EnrollmentCryptoBound, FaultRecord } from '@jpki/testing';
import type { OperationRecord } from './operations';
import type { Scenario } from './scenario-schema';

export interface ThresholdResult {
  name: string;
  limit: number;
  actual: number;
  passed: boolean;
}

export interface ScenarioResults {
  scenario: Scenario;
  file: string;
  startedAt: string;
  /** Ctrl-C stopped the run: the results cover what ran until then. */
  interrupted: boolean;
  planned: number;
  operations: OperationRecord[];
  faults: (FaultRecord & { plannedAtMs: number })[];
  /** Whether the platform settled; absent when it could not be checked (a target without database access). */
  quiescent?: boolean;
  invariants: CheckResult[];
  /** What was not checked on a target, and why (quiescence, invariants and `lost` need its database and broker). */
  unchecked?: string;
  summary: Summary;
  thresholds: ThresholdResult[];
  passed: boolean;
}

export interface Summary {
  seconds: number;
  operationsPerSecond: number;
  enrollmentsPerSecond: number;
  enrollMs: { p50: number; p95: number; p99: number };
  byKind: Record<string, Record<string, number>>;
  byCarrier: Record<string, Record<string, number>>;
  unexpected: number;
  failureRate: number;
  /** Accepted work missing afterwards; absent when the invariants could not run. */
  lost?: number;
  /** The machine's crypto bound of one enrollment, measured after the run, and the run's enrollment throughput as a share of it. */
  cryptoBound?: EnrollmentCryptoBound & { cores: number; ofBound: number };
}

export const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? 0;
};

const count = (into: Record<string, Record<string, number>>, key: string, outcome: string) => {
  into[key] ??= {};
  into[key][outcome] = (into[key][outcome] ?? 0) + 1;
};

/** `lost`: work the platform accepted from a client that is not on record afterwards (invariant accepted-work-recorded). */
export function summarize(operations: OperationRecord[], invariants: CheckResult[], bound?: EnrollmentCryptoBound): Summary {
  const seconds = Math.max(1, ...operations.map((o) => o.endedAtMs)) / 1000;
  const enrolled = operations.filter((o) => o.kind === 'enroll' && o.outcome === 'completed').map((o) => o.ms);
  const byKind: Summary['byKind'] = {};
  const byCarrier: Summary['byCarrier'] = {};
  for (const o of operations) {
    count(byKind, o.kind, o.outcome);
    count(byCarrier, o.operator, o.expected ? 'expected' : 'unexpected');
  }
  const unexpected = operations.filter((o) => !o.expected).length;
  return {
    seconds,
    operationsPerSecond: operations.length / seconds,
    enrollmentsPerSecond: enrolled.length / seconds,
    enrollMs: { p50: percentile(enrolled, 0.5), p95: percentile(enrolled, 0.95), p99: percentile(enrolled, 0.99) },
    byKind,
    byCarrier,
    unexpected,
    failureRate: operations.length ? unexpected / operations.length : 0,
    lost: invariants.find((r) => r.name === 'accepted-work-recorded')?.violations.length,
    ...(bound ? { cryptoBound: { ...bound, cores: availableParallelism(), ofBound: enrolled.length / seconds / bound.boundPerSecond } } : {}),
  };
}

/** The scenario's thresholds against the run; an interrupted run or a failed invariant fails it too. */
export function checkThresholds(s: Scenario, summary: Summary): ThresholdResult[] {
  const t = s.thresholds ?? {};
  const out: ThresholdResult[] = [];
  if (t.enrollP99Ms !== undefined) out.push({ name: 'enrollment p99 (ms)', limit: t.enrollP99Ms, actual: summary.enrollMs.p99, passed: summary.enrollMs.p99 <= t.enrollP99Ms });
  if (t.lost !== undefined && summary.lost !== undefined) out.push({ name: 'lost', limit: t.lost, actual: summary.lost, passed: summary.lost <= t.lost });
  if (t.failureRate !== undefined) out.push({ name: 'failure rate', limit: t.failureRate, actual: summary.failureRate, passed: summary.failureRate <= t.failureRate });
  return out;
}

/** reports/scenarios/<name>-<timestamp>/ with results.json (and the report beside it). */
export function writeResults(results: ScenarioResults, html: string, root = 'reports/scenarios'): string {
  const dir = join(root, `${results.scenario.name}-${results.startedAt.replace(/[:.]/g, '-')}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(dir, 'report.html'), html);
  return dir;
}
