import { CARRIERS, type Carrier } from '@jpki/contracts';
import { localEndpoints, type PlatformEndpoints } from '@jpki/jpki-client';
import { ensureTopics, kafkaClient } from '@jpki/messaging';
import { acceptedWorkRecorded, checkPlatform, removeRunData, vsimCards, waitForQuiescence, type CheckResult } from '@jpki/operations';
import { OpenSslWorkspace } from '@jpki/openssl-judge';
import { enrollmentCryptoBound, FaultInjector, PLATFORM_SERVICES, platformStack, Random, type ServiceStack, type StackKeys } from '@jpki/testing';
import { ScenarioOperations, type OperationRecord } from './operations';
import type { Plan, PlannedEvent } from './plan';
import { checkThresholds, summarize, type ScenarioResults } from './results';
import type { Scenario } from './scenario-schema';

export interface RunOptions {
  file: string;
  databaseUrl: string;
  brokers: string[];
  /** Topics `<prefix>.` and schemas `<prefix>_` of this run: emptied first, removed afterwards unless `keep`. */
  prefix: string;
  portOffset: number;
  logDir: string;
  keep: boolean;
  quiescenceTimeoutMs: number;
  log: (line: string) => void;
  onOperation?: (op: OperationRecord) => void;
  /** Called once every service is ready (the demo starts the operator console there). */
  onReady?: (stack: ServiceStack, keys: StackKeys) => Promise<void>;
  /** Measure the machine's crypto bound of one enrollment after the run (about 6 s), to set the throughput beside it. */
  measureCryptoBound: boolean;
  /** Aborted by Ctrl-C: no new operation starts, the results so far are written. */
  signal: AbortSignal;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, ms));
    signal.addEventListener('abort', done);
  });

const aborted = (signal: AbortSignal) => new Promise<undefined>((resolve) => (signal.aborted ? resolve(undefined) : signal.addEventListener('abort', () => resolve(undefined), { once: true })));

/** OTA bearer settings (vsim OTA_BEARER) from the scenario's per-carrier overrides. */
export function otaBearerSpec(s: Scenario): string {
  return Object.entries(s.ota ?? {})
    .filter(([c]) => (CARRIERS as readonly string[]).includes(c))
    .map(([c, o]) => `${c as Carrier}:${[o.latencyMs !== undefined ? `latency=${o.latencyMs}` : '', o.loss !== undefined ? `loss=${o.loss}` : ''].filter(Boolean).join(',')}`)
    .join(';');
}

/**
 * One scenario run: a fresh environment, every service as its own process, the planned events in simulated order
 * (simulated time runs as wall time; a citizen's events run one after another), the scenario's faults on schedule,
 * then quiescence, the invariants and the thresholds.
 */
export async function runScenario(s: Scenario, plan: Plan, o: RunOptions): Promise<ScenarioResults> {
  const topicPrefix = `${o.prefix}.`;
  const schemaPrefix = `${o.prefix}_`;
  const kafka = kafkaClient('scenario', o.brokers);
  await removeRunData(o.databaseUrl, kafka, topicPrefix, schemaPrefix, o.log);
  await ensureTopics(kafka, topicPrefix);
  const bearer = otaBearerSpec(s);
  const { stack, keys } = platformStack({
    databaseUrl: o.databaseUrl,
    kafkaBrokers: o.brokers.join(','),
    topicPrefix,
    schemaPrefix,
    portOffset: o.portOffset,
    logDir: o.logDir,
    env: { LOG_LEVEL: 'info', KAFKA_SESSION_TIMEOUT_MS: '6000', SAGA_LEASE_MS: '3000' },
    serviceEnv: { vsim: { OTA_BEARER_SEED: String(s.seed), ...(bearer ? { OTA_BEARER: bearer } : {}) } },
  });
  const startedAt = new Date();
  const operations: OperationRecord[] = [];
  try {
    o.log(`starting ${PLATFORM_SERVICES.length} services as separate processes (logs in ${o.logDir})`);
    await stack.startAll((svc) => o.log(`ready: ${svc.spec.name} on ${svc.url} (pid ${svc.pid})`));
    await o.onReady?.(stack, keys);
    const t0 = Date.now();
    const endpoints = localEndpoints(o.portOffset);
    const token = keys.operatorToken('scenario@integrator', ['integrator', 'operator', 'auditor']);
    const ops = new ScenarioOperations(endpoints, token, t0);
    await ops.prepareGates();
    const faults = new FaultInjector(stack, new Random(s.seed), { mnoTsmOutage: true, brokerRestart: true, postgresRestart: true }, kafka, topicPrefix, o.log, t0);
    const injected = runFaults(plan, faults, t0, o.signal, o.log);
    await runEvents(plan, ops, s.concurrency ?? 4, t0, o, (op) => (operations.push(op), o.onOperation?.(op)));
    const faultRecords = await injected;
    if (!o.signal.aborted) await faults.restoreAll();
    const quiescent = await waitForQuiescence(o.databaseUrl, schemaPrefix, o.signal.aborted ? 0 : o.quiescenceTimeoutMs, o.log);
    const invariants: CheckResult[] = [
      ...(await checkWithServices(o, schemaPrefix, topicPrefix, endpoints, token)),
      await acceptedWorkRecorded(o.databaseUrl, schemaPrefix, ops.accepted),
    ];
    operations.sort((a, b) => a.seq - b.seq);
    const measure = o.measureCryptoBound && !o.signal.aborted;
    if (measure) o.log('measuring the crypto bound of one enrollment on this machine…');
    const summary = summarize(operations, invariants, measure ? enrollmentCryptoBound(4000, 2000) : undefined);
    const thresholds = checkThresholds(s, summary);
    const interrupted = o.signal.aborted;
    return {
      scenario: s,
      file: o.file,
      startedAt: startedAt.toISOString(),
      interrupted,
      planned: plan.events.length,
      operations,
      faults: faultRecords,
      quiescent,
      invariants,
      summary,
      thresholds,
      passed: !interrupted && quiescent && invariants.every((i) => i.passed) && thresholds.every((t) => t.passed),
    };
  } finally {
    if (!o.keep) {
      await stack.stopAll();
      await removeRunData(o.databaseUrl, kafka, topicPrefix, schemaPrefix, o.log);
    }
  }
}

/** Every invariant, with the cards at vsim and the CA's OCSP and CRLs judged by OpenSSL while the services still run (not after Ctrl-C). */
async function checkWithServices(o: RunOptions, schemaPrefix: string, topicPrefix: string, endpoints: PlatformEndpoints, token: string): Promise<CheckResult[]> {
  const openssl = o.signal.aborted ? undefined : await OpenSslWorkspace.create();
  const services = openssl ? { caUrl: endpoints.ca, cards: vsimCards(endpoints.vsim, token), openssl } : undefined;
  return checkPlatform({ databaseUrl: o.databaseUrl, brokers: o.brokers, schemaPrefix, topicPrefix, graceSeconds: 5, services }).finally(() => openssl?.dispose());
}

/** Each citizen's events in planned order; citizens run side by side, at most `concurrency` operations at once, none before its planned time. */
async function runEvents(plan: Plan, ops: ScenarioOperations, concurrency: number, t0: number, o: RunOptions, done: (op: OperationRecord) => void): Promise<void> {
  const chains = new Map<number, PlannedEvent[]>();
  for (const e of plan.events) chains.set(e.citizen, [...(chains.get(e.citizen) ?? []), e]);
  const ready = [...chains.values()];
  const stopped = aborted(o.signal);
  let running = 0;
  const worker = async () => {
    while (!o.signal.aborted && (ready.length > 0 || running > 0)) {
      ready.sort((a, b) => a[0].atMs - b[0].atMs || a[0].seq - b[0].seq);
      const chain = ready.shift();
      if (!chain) {
        await sleep(50, o.signal);
        continue;
      }
      running += 1;
      const event = chain.shift()!;
      await sleep(t0 + event.atMs - Date.now(), o.signal);
      // On Ctrl-C the terminal stopped the services too: an operation in flight is left out rather than waited for.
      const record = o.signal.aborted ? undefined : await Promise.race([ops.run(event, plan.citizens[event.citizen]), stopped]);
      if (record) done(record);
      if (chain.length > 0) ready.push(chain);
      running -= 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

async function runFaults(plan: Plan, faults: FaultInjector, t0: number, signal: AbortSignal, log: (line: string) => void): Promise<ScenarioResults['faults']> {
  const out: ScenarioResults['faults'] = [];
  for (const planned of plan.faults) {
    await sleep(t0 + planned.atMs - Date.now(), signal);
    if (signal.aborted) break;
    log(`fault at ${planned.atMs / 1000} s: ${JSON.stringify(planned.fault)}`);
    const record = await faults.injectScheduled(planned.fault).catch((err: Error) => (log(`fault failed: ${err.message}`), undefined));
    if (record) out.push({ ...record, plannedAtMs: planned.atMs });
  }
  return out;
}
