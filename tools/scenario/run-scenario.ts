import { setMaxListeners } from 'node:events';
import { CARRIERS, type Carrier } from '@jpki/contracts';
import type { OperatorRole } from '@jpki/crypto';
import type { SimulatedAttestationAuthority } from '@jpki/iphone-device';
import { loadIphoneVendor, loadPlatformContext, localEndpoints, platformContextAt, PlatformContextError, type PlatformContext, type PlatformEndpoints } from '@jpki/jpki-client';
import { ensureTopics, kafkaClient, useLocalKafkaAdmin } from '@jpki/messaging';
import { acceptedWorkRecorded, checkPlatform, removeRunData, vsimCards, waitForQuiescence, type CheckResult } from '@jpki/operations';
import { OpenSslWorkspace } from '@jpki/openssl-judge';
import { enrollmentCryptoBound, FaultInjector, PLATFORM_SERVICES, platformStack, Random, type ServiceStack, type StackKeys } from '@jpki/testing';
import { ScenarioOperations, type OperationRecord } from './operations';
import type { Plan, PlannedEvent } from './plan';
import { checkThresholds, summarize, type ScenarioResults } from './results';
import { IPHONE_HANDSETS, type Scenario } from './scenario-schema';

/** A platform this run starts itself: every service its own process, topics and schemas of its own. */
export interface LocalPlatform {
  kind: 'local';
  databaseUrl: string;
  brokers: string[];
  /** Topics `<prefix>.` and schemas `<prefix>_` of this run: emptied first, removed afterwards unless `keep`. */
  prefix: string;
  portOffset: number;
  logDir: string;
  keep: boolean;
  /** Called once every service is ready (the demo starts the operator console there). */
  onReady?: (stack: ServiceStack, keys: StackKeys) => Promise<void>;
}

/**
 * An already running or deployed platform (`--target`): its context's endpoints and token; nothing is started or
 * emptied. Quiescence and the invariants run only when the context names its database and brokers (`operations`).
 */
export interface TargetPlatform {
  kind: 'target';
  context: PlatformContext;
  /** The iPhone vendor its CA trusts, for iPhone handsets (`--vendor` or JPKI_DEVICE_ATTESTATION). */
  iphoneVendor?: SimulatedAttestationAuthority;
}

export interface RunOptions {
  file: string;
  platform: LocalPlatform | TargetPlatform;
  quiescenceTimeoutMs: number;
  log: (line: string) => void;
  onOperation?: (op: OperationRecord) => void;
  /** Measure the machine's crypto bound of one enrollment after the run (about 6 s), to set the throughput beside it. */
  measureCryptoBound: boolean;
  /** Aborted by Ctrl-C: no new operation starts, the results so far are written. */
  signal: AbortSignal;
}

/** Where the run checks quiescence and the invariants: the platform's database and brokers, with its prefixes. */
interface PlatformChecks {
  databaseUrl: string;
  brokers: string[];
  schemaPrefix: string;
  topicPrefix: string;
}

/** What the events run against, wherever the platform comes from. */
interface Platform {
  endpoints: PlatformEndpoints;
  token: string;
  iphoneVendor?: SimulatedAttestationAuthority;
  faults?: FaultInjector;
  /** Absent: the reason quiescence and the invariants are not checked. */
  checks: PlatformChecks | string;
}

/** Who the scenario acts as: an integrator (citizens, subscribers, gates) who is also an operator and auditor (cases, invariants). */
const SCENARIO_SUBJECT = 'scenario@integrator';
const SCENARIO_ROLES: OperatorRole[] = ['integrator', 'operator', 'auditor'];

/** `--target`: the URL of a platform's jpki-ca, or a platform context file; the iPhone vendor from `--vendor` or JPKI_DEVICE_ATTESTATION. */
export function scenarioTarget(target: string, vendorFile: string | undefined, env: NodeJS.ProcessEnv = process.env): TargetPlatform {
  const context = /^https?:\/\//i.test(target) ? platformContextAt(target, env) : loadPlatformContext({ file: target, env });
  const vendor = vendorFile ?? env['JPKI_DEVICE_ATTESTATION'];
  return { kind: 'target', context, ...(vendor ? { iphoneVendor: loadIphoneVendor(vendor, env) } : {}) };
}

/**
 * Why a scenario cannot run against a target, before anything starts: its faults and OTA settings act on local
 * processes, and iPhones need the vendor the target's CA trusts.
 */
export function targetRefusals(s: Scenario, plan: Plan, target: TargetPlatform): string[] {
  const refusals = (s.faults ?? []).map((_, i) => `faults.${i}: a fault acts on the processes of a platform this runner started; ${target.context.name} runs elsewhere`);
  if (s.ota) refusals.push(`ota: the OTA bearer is set when the vsim starts; ${target.context.name} runs its own`);
  if (s.clock) refusals.push(`clock: it moves the simulation clock of every phone of ${target.context.name} and sets its CA's phone certificate life, which only a platform this runner starts may do`);
  if (!target.iphoneVendor && plan.citizens.some((c) => (IPHONE_HANDSETS as readonly string[]).includes(c.handset))) {
    refusals.push('population.handsets: iPhones need the iPhone vendor (attestation CA) the target’s CA trusts: --vendor <file> or JPKI_DEVICE_ATTESTATION=<file>');
  }
  return refusals;
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
 * One scenario run: against a fresh local platform (every service as its own process) or a target, the planned
 * events in simulated order (simulated time runs as wall time; a citizen's events run one after another), the
 * scenario's faults on schedule, then quiescence, the invariants and the thresholds.
 */
export async function runScenario(s: Scenario, plan: Plan, o: RunOptions): Promise<ScenarioResults> {
  if (o.platform.kind === 'target') return drive(s, plan, o, await targetPlatform(o.platform, o.log));
  const local = o.platform;
  const topicPrefix = `${local.prefix}.`;
  const schemaPrefix = `${local.prefix}_`;
  const kafka = kafkaClient('scenario', local.brokers);
  await removeRunData(local.databaseUrl, kafka, topicPrefix, schemaPrefix, o.log);
  await ensureTopics(kafka, topicPrefix);
  const bearer = otaBearerSpec(s);
  const { stack, keys } = platformStack({
    databaseUrl: local.databaseUrl,
    kafkaBrokers: local.brokers.join(','),
    topicPrefix,
    schemaPrefix,
    portOffset: local.portOffset,
    logDir: local.logDir,
    env: { LOG_LEVEL: 'info', KAFKA_SESSION_TIMEOUT_MS: '6000', SAGA_LEASE_MS: '3000' },
    serviceEnv: { ...clockEnv(s), vsim: { OTA_BEARER_SEED: String(s.seed), ...(bearer ? { OTA_BEARER: bearer } : {}) }, 'jpki-ca': { ...SYNTHETIC_CARD_FILES, ...clockEnv(s)['jpki-ca'] } },
  });
  try {
    o.log(`starting ${PLATFORM_SERVICES.length} services as separate processes (logs in ${local.logDir})`);
    await stack.startAll((svc) => o.log(`ready: ${svc.spec.name} on ${svc.url} (pid ${svc.pid})`));
    await local.onReady?.(stack, keys);
    return await drive(s, plan, o, {
      endpoints: localEndpoints(local.portOffset),
      token: keys.operatorToken(SCENARIO_SUBJECT, SCENARIO_ROLES),
      iphoneVendor: keys.deviceAttestation,
      faults: new FaultInjector(
        stack,
        new Random(s.seed),
        { mnoTsmOutage: true, brokerRestart: true, postgresRestart: true, integratorToken: keys.operatorToken(SCENARIO_SUBJECT, ['integrator']) },
        kafka,
        topicPrefix,
        o.log,
        Date.now(),
      ),
      checks: { databaseUrl: local.databaseUrl, brokers: local.brokers, schemaPrefix, topicPrefix },
    });
  } finally {
    if (!local.keep) {
      await stack.stopAll();
      await removeRunData(local.databaseUrl, kafka, topicPrefix, schemaPrefix, o.log);
    }
  }
}

/**
 * The population's My Number cards are the municipality's, issued before the day the scenario simulates: their card
 * files wrap the card keys under scrypt N = 2^10 (as in the tests and benchmarks) instead of the CA's default 2^15, which
 * costs the CA about 0.3 core-seconds per citizen and the simulated phones as much again at every application.
 */
const SYNTHETIC_CARD_FILES = { CARD_FILE_KDF_LOG2N: '10' };

/** With clock moves: the CA's phone certificate life, and lifecycle's renewal sweep often enough for a run of minutes. */
function clockEnv(s: Scenario): Record<string, Record<string, string>> {
  if (!s.clock) return {};
  const days = s.clock.phoneCertificateDays;
  return { lifecycle: { RENEWAL_SWEEP_INTERVAL_MS: '5000' }, ...(days ? { 'jpki-ca': { PHONE_CERTIFICATE_MAX_DAYS: String(days) } } : {}) };
}

/** A target's endpoints and token; its database and brokers when its context names them (on the local platform, the demo's prefixes unless the context names others). */
async function targetPlatform(target: TargetPlatform, log: (line: string) => void): Promise<Platform> {
  const { context } = target;
  const endpoints = context.endpoints();
  const token = context.operatorToken({ sub: SCENARIO_SUBJECT, roles: SCENARIO_ROLES.join(','), audience: PLATFORM_SERVICES });
  let checks: PlatformChecks | string;
  try {
    const ops = context.operations();
    if (context.local) useLocalKafkaAdmin();
    checks = { databaseUrl: ops.databaseUrl, brokers: ops.kafkaBrokers, schemaPrefix: ops.schemaPrefix || (context.local ? 'demo_' : ''), topicPrefix: ops.topicPrefix || (context.local ? 'demo.' : '') };
  } catch (error) {
    if (!(error instanceof PlatformContextError)) throw error;
    checks = `the context gives no database and broker access (${error.message})`;
    log(`quiescence and the invariants are not checked: ${checks}`);
  }
  log(`target ${context.name} (${context.source}): nothing is started or emptied there`);
  return { endpoints, token, iphoneVendor: target.iphoneVendor, checks };
}

/** The events and faults against the platform, then quiescence, the invariants and the thresholds. */
async function drive(s: Scenario, plan: Plan, o: RunOptions, p: Platform): Promise<ScenarioResults> {
  const startedAt = new Date();
  // Every worker's wait listens to Ctrl-C, as do the fault schedule and the race with operations in flight.
  setMaxListeners((s.concurrency ?? 4) * 2 + 8, o.signal);
  const operations: OperationRecord[] = [];
  const t0 = Date.now();
  const ops = new ScenarioOperations(p.endpoints, p.token, t0, p.iphoneVendor);
  await ops.followClock();
  await ops.prepareGates();
  const injected = p.faults ? runFaults(plan, p.faults, t0, o.signal, o.log) : Promise.resolve([]);
  const done = (op: OperationRecord) => (operations.push(op), o.onOperation?.(op));
  await runEvents(plan, ops, s.concurrency ?? 4, t0, o, done);
  const faultRecords = await injected;
  if (!o.signal.aborted) await p.faults?.restoreAll();
  const clockChecks = await runClockMoves(s, plan, ops, t0, o, done);
  const checks = typeof p.checks === 'string' ? undefined : p.checks;
  const quiescent = checks ? await waitForQuiescence(checks.databaseUrl, checks.schemaPrefix, o.signal.aborted ? 0 : o.quiescenceTimeoutMs, o.log) : undefined;
  const invariants: CheckResult[] = checks
    ? [...(await checkWithServices(o.signal, checks, p.endpoints, p.token, ops.now)), await acceptedWorkRecorded(checks.databaseUrl, checks.schemaPrefix, ops.accepted)]
    : [];
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
    planned: plan.events.length + clockChecks,
    operations,
    faults: faultRecords,
    ...(quiescent === undefined ? {} : { quiescent }),
    invariants,
    ...(typeof p.checks === 'string' ? { unchecked: p.checks } : {}),
    summary,
    thresholds,
    passed: !interrupted && quiescent !== false && invariants.every((i) => i.passed) && thresholds.every((t) => t.passed),
  };
}

/**
 * Every invariant, with the cards at vsim and the CA's OCSP and CRLs judged by OpenSSL at the environment's time while
 * the services still run (not after Ctrl-C).
 */
async function checkWithServices(signal: AbortSignal, c: PlatformChecks, endpoints: PlatformEndpoints, token: string, now: () => Date): Promise<CheckResult[]> {
  const openssl = signal.aborted ? undefined : await OpenSslWorkspace.create();
  const services = openssl ? { caUrl: endpoints.ca, cards: vsimCards(endpoints.vsim, token), openssl, now } : undefined;
  return checkPlatform({ databaseUrl: c.databaseUrl, brokers: c.brokers, schemaPrefix: c.schemaPrefix, topicPrefix: c.topicPrefix, graceSeconds: 5, services }).finally(() => openssl?.dispose());
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

/**
 * After the event mix, each clock move: the environment's simulation clock moves forward, then every phone still
 * holding a good certificate is checked for what the move must do to it (renewed, or refused as expired). Returns
 * how many checks there were.
 */
async function runClockMoves(s: Scenario, plan: Plan, ops: ScenarioOperations, t0: number, o: RunOptions, done: (op: OperationRecord) => void): Promise<number> {
  let seq = plan.events.length;
  for (const [i, move] of (s.clock?.moves ?? []).entries()) {
    if (o.signal.aborted) break;
    const moved = await ops.moveClock(move.advanceDays, `scenario ${s.name}: clock move ${i + 1} (${move.expect})`);
    const atMs = Date.now() - t0;
    const events = ops.goodPhones().map((citizen) => ({ seq: seq++, atMs, citizen, kind: move.expect }));
    o.log(`clock moved ${move.advanceDays} days (now ${moved.now}): ${move.expect} of ${events.length} phones holding a good certificate`);
    await runEvents({ ...plan, events }, ops, s.concurrency ?? 4, t0, o, done);
  }
  return seq - plan.events.length;
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
