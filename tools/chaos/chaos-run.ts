import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CARRIERS } from '@jpki/contracts';
import { localEndpoints } from '@jpki/jpki-client';
import { ensureTopics, kafkaClient } from '@jpki/messaging';
import { OpenSslWorkspace } from '@jpki/openssl-judge';
import { acceptedWorkRecorded, checkPlatform, removeRunData, vsimCards, waitForQuiescence, type CheckResult } from '@jpki/operations';
import { FaultInjector, freePortOffset, PLATFORM_SERVICES, platformStack, Random, releasePortOffset, type FaultPlan, type FaultRecord } from '@jpki/testing';
import { OPERATION_KINDS, Workload, type OperationKind } from './workload';

export interface ChaosOptions extends FaultPlan {
  databaseUrl: string;
  brokers: string[];
  /** Topics `<prefix>.` and schemas `<prefix>_` of this run, removed afterwards unless `keep`. */
  prefix: string;
  seed: number;
  /** How long the workload runs while faults are injected. */
  workloadMs: number;
  faultEveryMs: number;
  /** Operations in flight at once. */
  concurrency: number;
  /** Extra instances per service (the services whose sagas and consumers share work through leases and groups). */
  replicas: Partial<Record<string, number>>;
  /** OTA bearer latency and loss per carrier (vsim OTA_BEARER). */
  otaBearer: string;
  quiescenceTimeoutMs: number;
  keep: boolean;
  log: (line: string) => void;
}

export interface ChaosSummary {
  seed: number;
  seconds: { start: number; workload: number; quiescence: number; total: number };
  quiescent: boolean;
  operations: Record<OperationKind, Record<string, number>>;
  faults: FaultRecord[];
  invariants: CheckResult[];
  passed: boolean;
}

const since = (t0: number) => Math.round((Date.now() - t0) / 1000);

/**
 * One chaos run: the whole platform as separate processes (with replicas), a mixed workload while faults are
 * injected, then quiescence and the invariant checks from the databases, dead-letter topics, vsim's cards and (through
 * OpenSSL) the CA's OCSP responder and CRLs.
 */
export async function runChaos(o: ChaosOptions): Promise<ChaosSummary> {
  const t0 = Date.now();
  const topicPrefix = `${o.prefix}.`;
  const schemaPrefix = `${o.prefix}_`;
  const kafka = kafkaClient('chaos', o.brokers);
  await ensureTopics(kafka, topicPrefix);
  const portOffset = await freePortOffset();
  const { stack, keys } = platformStack({
    databaseUrl: o.databaseUrl,
    kafkaBrokers: o.brokers.join(','),
    topicPrefix,
    schemaPrefix,
    portOffset,
    logDir: join(tmpdir(), 'jpki-chaos', o.prefix),
    replicas: o.replicas,
    // Short sessions and leases let restarted instances take partitions and sagas back quickly.
    env: { LOG_LEVEL: 'info', KAFKA_SESSION_TIMEOUT_MS: '6000', SAGA_LEASE_MS: '3000' },
    serviceEnv: { vsim: { OTA_BEARER: o.otaBearer, OTA_BEARER_SEED: String(o.seed) } },
  });
  const random = new Random(o.seed);
  const operations = Object.fromEntries(OPERATION_KINDS.map((k) => [k, {}])) as ChaosSummary['operations'];
  const faults = new FaultInjector(stack, random, { ...o, integratorToken: keys.operatorToken('chaos@integrator', ['integrator']) }, kafka, topicPrefix, o.log);
  try {
    o.log(`starting ${stack.services.size} service instances (${PLATFORM_SERVICES.length} services, replicas: ${JSON.stringify(o.replicas)}), logs in ${join(tmpdir(), 'jpki-chaos', o.prefix)}`);
    await stack.startAll((s) => o.log(`ready: ${s.spec.name} (pid ${s.pid})`));
    const started = since(t0);
    const endpoints = localEndpoints(portOffset);
    const operatorToken = keys.operatorToken('chaos@integrator', ['integrator', 'operator', 'auditor']);
    const workload = new Workload(endpoints, operatorToken, random, keys.deviceAttestation);
    const t1 = Date.now();
    await runWorkload(o, workload, faults, operations);
    const workloadSeconds = since(t1);
    await faults.restoreAll();
    const t2 = Date.now();
    const quiescent = await waitForQuiescence(o.databaseUrl, schemaPrefix, o.quiescenceTimeoutMs, o.log);
    const openssl = await OpenSslWorkspace.create();
    const services = { caUrl: endpoints.ca, cards: vsimCards(endpoints.vsim, operatorToken), openssl };
    const invariants = [
      ...(await checkPlatform({ databaseUrl: o.databaseUrl, brokers: o.brokers, schemaPrefix, topicPrefix, graceSeconds: 5, expectedDeadLetters: faults.poison, services }).finally(() => openssl.dispose())),
      await acceptedWorkRecorded(o.databaseUrl, schemaPrefix, workload.accepted),
      noUnexpectedOutcome(operations),
    ];
    return {
      seed: o.seed,
      seconds: { start: started, workload: workloadSeconds, quiescence: since(t2), total: since(t0) },
      quiescent,
      operations,
      faults: faults.injected,
      invariants,
      passed: quiescent && invariants.every((r) => r.passed),
    };
  } finally {
    await stack.stopAll('SIGKILL');
    releasePortOffset(portOffset);
    if (!o.keep) await removeRunData(o.databaseUrl, kafka, topicPrefix, schemaPrefix, o.log);
  }
}

async function runWorkload(o: ChaosOptions, workload: Workload, faults: FaultInjector, operations: ChaosSummary['operations']): Promise<void> {
  const t0 = Date.now();
  const until = t0 + o.workloadMs;
  const count = (kind: OperationKind, outcome: string) => (operations[kind][outcome] = (operations[kind][outcome] ?? 0) + 1);
  const worker = async () => {
    while (Date.now() < until) {
      const op = workload.next();
      count(op.kind, await op.run());
    }
  };
  const injector = async () => {
    while (Date.now() + o.faultEveryMs < until) {
      await new Promise((r) => setTimeout(r, o.faultEveryMs));
      await faults.injectOne().catch((err: Error) => o.log(`fault failed: ${err.message}`));
    }
  };
  const progress = setInterval(() => o.log(`t=${since(t0)}s operations ${JSON.stringify(operations)} faults ${faults.injected.length}`), 15_000);
  try {
    await Promise.all([...Array.from({ length: o.concurrency }, worker), injector()]);
  } finally {
    clearInterval(progress);
  }
}

/** A client outcome no fault excuses: a login accepted on a phone whose certificate was put on hold. */
function noUnexpectedOutcome(operations: ChaosSummary['operations']): CheckResult {
  const violations = Object.entries(operations).flatMap(([kind, outcomes]) =>
    Object.entries(outcomes)
      .filter(([outcome]) => outcome.startsWith('unexpected:'))
      .map(([outcome, times]) => ({ kind, outcome, times })),
  );
  return { name: 'clients-saw-no-forbidden-outcome', description: 'no login succeeded with a certificate on hold', passed: violations.length === 0, violations };
}

export const DEFAULT_OTA_BEARER = CARRIERS.map((c, i) => `${c}:latency=${60 + 40 * i}${c === 'kddi' ? ',loss=0.02' : ''}`).join(';');
