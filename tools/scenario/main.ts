/**
 * `npm start [-- scenarios/<name>.yaml] [--subscribers N] [--json] [--keep] [--context <file> | --target <url|context> [--vendor <file>]]`:
 * runs a scenario file (default scenarios/quick-tour.yaml) against the whole platform started here, every service as
 * its own process, with the operator console, or against a platform already running or deployed: the platform context
 * file of `--context` (or JPKI_CONTEXT, as the other CLIs take it), or `--target`, its alias that also takes the URL of
 * a running jpki-ca. Writes reports/scenarios/<name>-<timestamp>/results.json and report.html. Exits 1 when a
 * threshold, an invariant or quiescence fails, 2 when the scenario file or the target is refused (before anything
 * starts); under --json a failure is also `{"error","reason"}` on stdout.
 */
import { writeFileSync } from 'node:fs';
import { SingleBar } from 'cli-progress';
import { Command, InvalidArgumentError } from 'commander';
import { cliFailure, PlatformContextError } from '@jpki/jpki-client';
import { LOCAL_KAFKA, useLocalKafkaAdmin } from '@jpki/messaging';
import type { ServiceProcess, ServiceStack } from '@jpki/testing';
import { loadScenario, ScenarioFileError } from './load-scenario';
import { startOperatorConsole } from './operator-console';
import type { OperationRecord } from './operations';
import { planScenario } from './plan';
import { renderReport, securityItems } from './report';
import { writeResults, type ScenarioResults } from './results';
import { runScenario, scenarioTarget, targetRefusals, type LocalPlatform, type TargetPlatform } from './run-scenario';
import { scenarioJsonSchema } from './scenario-schema';

const DATABASE_URL = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const KAFKA = process.env['KAFKA_BROKERS'] ?? LOCAL_KAFKA;
const PREFIX = 'demo';

interface Options {
  subscribers?: number;
  json?: boolean;
  keep?: boolean;
  console: boolean;
  context?: string;
  target?: string;
  vendor?: string;
  writeSchema?: boolean;
}

const positive = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('a whole number of 1 or more');
  return n;
};

/** Where the platform a scenario runs against was named: `--context`, `--target` or JPKI_CONTEXT. */
export interface TargetChoice {
  from: '--context' | '--target' | 'JPKI_CONTEXT';
  value: string;
}

const URL_SHAPE = /^https?:\/\//i;

/**
 * The platform to run against, without starting one: `--context <file>`, else `--target <url|context>` (its alias that
 * also takes a jpki-ca URL), else the context file JPKI_CONTEXT names; none of them: the platform is started here.
 * A flag wins over JPKI_CONTEXT; both flags, an empty value or a URL where a context file is expected are refused.
 */
export function targetChoice(o: { context?: string; target?: string }, env: NodeJS.ProcessEnv = process.env): TargetChoice | undefined {
  if (o.context !== undefined && o.target !== undefined) {
    throw new InvalidArgumentError('give --context <file> or --target <url|context>, not both (--target is the alias of --context that also takes a jpki-ca URL)');
  }
  if (o.context !== undefined) {
    if (!o.context.trim()) throw new InvalidArgumentError('--context names a platform context file, but it is empty');
    if (URL_SHAPE.test(o.context)) throw new InvalidArgumentError(`--context takes a platform context file, not a URL (${o.context}): --target <url> runs against the jpki-ca at a URL`);
    return { from: '--context', value: o.context };
  }
  if (o.target !== undefined) {
    if (!o.target.trim()) throw new InvalidArgumentError('--target names a jpki-ca URL or a platform context file, but it is empty');
    return { from: '--target', value: o.target };
  }
  const fromEnv = env['JPKI_CONTEXT'];
  if (!fromEnv) return undefined;
  if (URL_SHAPE.test(fromEnv)) throw new InvalidArgumentError(`JPKI_CONTEXT names a platform context file, not a URL (${fromEnv}): --target <url> runs against the jpki-ca at a URL`);
  return { from: 'JPKI_CONTEXT', value: fromEnv };
}

/** `--context staging.yaml`, `JPKI_CONTEXT=staging.yaml`: where a refused target came from, for its message. */
export const describeChoice = (c: TargetChoice): string => (c.from === 'JPKI_CONTEXT' ? `JPKI_CONTEXT=${c.value}` : `${c.from} ${c.value}`);

/** The target the run chose, for the message of a refusal. */
let chosen: TargetChoice | undefined;

const program = new Command('scenario')
  .description('run a scenario file against the platform and write its results and report')
  .argument('[file]', 'scenario file', 'scenarios/quick-tour.yaml')
  .option('--subscribers <n>', "override the population's citizens", positive)
  .option('--json', 'the results as JSON on stdout (progress on stderr)')
  .option('--keep', 'keep the platform and the operator console running afterwards (Ctrl-C stops them)')
  .option('--no-console', 'do not build and start the operator console')
  .option('--context <file>', 'run against a platform already running or deployed: its platform context file, YAML or JSON (or JPKI_CONTEXT); without one the whole platform is started here')
  .option('--target <url|context>', 'alias of --context that also takes the URL of a running jpki-ca (the other services at the same port offset)')
  .option('--vendor <file>', 'with --context/--target: the iPhone vendor (attestation CA) its CA trusts, for iPhone handsets (or JPKI_DEVICE_ATTESTATION)')
  .option('--write-schema', 'write scenarios/scenario.schema.json from the scenario schema and exit')
  .action(async (file: string, o: Options) => {
    if (o.writeSchema) return writeFileSync('scenarios/scenario.schema.json', scenarioJsonSchema());
    chosen = targetChoice(o);
    if (chosen && o.keep) throw new InvalidArgumentError(`--keep keeps a platform this runner started; the platform of ${describeChoice(chosen)} keeps running anyway`);
    const scenario = loadScenario(file, { citizens: o.subscribers });
    const plan = planScenario(scenario);
    const target = chosen ? scenarioTarget(chosen.value, o.vendor) : undefined;
    const refusals = target ? targetRefusals(scenario, plan, target) : [];
    if (refusals.length > 0) throw new ScenarioFileError(refusals.map((r) => `${file}: ${r}`));
    const log = (line: string) => (o.json ? console.error : console.log)(`[scenario] ${line}`);
    log(`${scenario.name}: ${plan.citizens.length} citizens, ${plan.events.length} planned operations, ${plan.faults.length} faults, seed ${scenario.seed}`);
    const abort = new AbortController();
    let services: ServiceStack | undefined;
    let operatorConsole: ServiceProcess | undefined;
    const progress = new Progress(plan.events.length, log);
    process.on('SIGINT', () => {
      if (abort.signal.aborted) process.exit(130);
      log('Ctrl-C: no new operations; writing the results so far (Ctrl-C again to quit at once)');
      abort.abort();
    });
    const local: LocalPlatform = {
      kind: 'local',
      databaseUrl: DATABASE_URL,
      brokers: KAFKA.split(','),
      prefix: PREFIX,
      portOffset: 0,
      logDir: `.run/${PREFIX}/logs`,
      keep: !!o.keep,
      onReady: async (stack, keys) => {
        services = stack;
        if (o.console) operatorConsole = await startConsole(keys.operatorIdp.signingPkcs8, keys.envFor('lifecycle')['TRUSTED_PRODUCER_KEYS'], log);
        progress.start();
      },
    };
    if (!target) useLocalKafkaAdmin();
    else progress.start();
    const platform: LocalPlatform | TargetPlatform = target ?? local;
    const results = await runScenario(scenario, plan, {
      file,
      platform,
      quiescenceTimeoutMs: 120_000,
      measureCryptoBound: true,
      log: (line) => progress.log(line, log),
      signal: abort.signal,
      onOperation: (op) => progress.add(op),
    });
    progress.stop();
    const dir = writeResults(results, renderReport(results, securityItems()));
    if (o.json) console.log(JSON.stringify(results, null, 2));
    else printSummary(results, dir);
    process.exitCode = results.passed ? 0 : 1;
    if (o.keep && services) return keepRunning(services, operatorConsole, log);
    if (operatorConsole) log(`operator console was at ${operatorConsole.url}; \`npm start -- --keep\` keeps the platform and the console running`);
    await operatorConsole?.stop();
    // Operations left in flight at Ctrl-C are still retrying against the stopped services: nothing of theirs is awaited any more.
    if (results.interrupted) process.exit(process.exitCode);
  });

function startConsole(operatorIdpKey: string, trustedProducerKeys: string, log: (line: string) => void): Promise<ServiceProcess | undefined> {
  return startOperatorConsole(
    { operatorIdpKey, trustedProducerKeys, databaseUrl: DATABASE_URL, kafkaBrokers: KAFKA, topicPrefix: `${PREFIX}.`, logFile: `.run/${PREFIX}/logs/console.log` },
    log,
  ).catch((err: Error) => {
    console.error(`[scenario] the operator console did not start (the scenario goes on): ${err.message}`);
    return undefined;
  });
}

function keepRunning(stack: ServiceStack, operatorConsole: ServiceProcess | undefined, log: (line: string) => void): void {
  log(`${operatorConsole ? `operator console: ${operatorConsole.url} — ` : ''}the platform keeps running (topics ${PREFIX}., schemas ${PREFIX}_); Ctrl-C stops it`);
  process.removeAllListeners('SIGINT');
  process.on('SIGINT', () => void Promise.all([stack.stopAll(), operatorConsole?.stop()]).then(() => process.exit(130)));
}

/**
 * The live display: a bar over the planned operations, counters per carrier and outcome, and the throughput of the last
 * 10 s; without a terminal (a log file, CI), the same as a line every 30 s.
 */
const PLAIN_PROGRESS_MS = 30_000;

class Progress {
  private readonly bar = new SingleBar({ format: '{bar} {value}/{total} | {rate} ops/s | {carriers} | {outcomes}', hideCursor: true, noTTYOutput: false });
  private readonly carriers: Record<string, number> = {};
  private readonly outcomes: Record<string, number> = {};
  private readonly recent: number[] = [];
  private started = false;
  private count = 0;
  private lastLine = Date.now();

  /** The planned events; the checks after a clock move (one per phone then holding a good certificate) add to it. */
  constructor(
    private total: number,
    private readonly print: (line: string) => void,
  ) {}

  start(): void {
    this.started = true;
    this.bar.start(this.total, 0, this.payload());
  }

  add(op: OperationRecord): void {
    this.carriers[op.operator] = (this.carriers[op.operator] ?? 0) + 1;
    const outcome = op.expected ? op.outcome.split(':')[0] : 'unexpected';
    this.outcomes[outcome] = (this.outcomes[outcome] ?? 0) + 1;
    this.recent.push(Date.now());
    if (++this.count > this.total) this.bar.setTotal((this.total = this.count));
    this.bar.increment(1, this.payload());
    if (!process.stderr.isTTY && Date.now() - this.lastLine >= PLAIN_PROGRESS_MS) {
      this.lastLine = Date.now();
      const p = this.payload();
      this.print(`${this.count}/${this.total} operations | ${p.rate} ops/s | ${p.carriers} | ${p.outcomes}`);
    }
  }

  /** Log lines while the bar is shown go above it. */
  log(line: string, print: (line: string) => void): void {
    if (!this.started || !process.stderr.isTTY) return print(line);
    this.bar.stop();
    print(line);
    this.bar.start(this.total, this.bar.getProgress() * this.total, this.payload());
  }

  stop(): void {
    if (this.started) this.bar.stop();
    this.started = false;
  }

  private payload() {
    while (this.recent.length > 0 && this.recent[0] < Date.now() - 10_000) this.recent.shift();
    const join = (o: Record<string, number>) => Object.entries(o).map(([k, n]) => `${k} ${n}`).join(' ') || '-';
    return { rate: (this.recent.length / 10).toFixed(1), carriers: join(this.carriers), outcomes: join(this.outcomes) };
  }
}

/** Small runs list every phone, as the demo did: where it is, how its SP domain talks, its certificate and its last login. */
function printPhones(r: ScenarioResults): void {
  const enrollments = r.operations.filter((o) => o.kind === 'enroll');
  if (enrollments.length === 0 || enrollments.length > 20) return;
  console.log('\n operator  host      MSISDN          ICCID or iPhone       SSD SCP03    key mode     enrollment   certificate   last login');
  for (const e of enrollments) {
    const login = r.operations.filter((o) => o.citizen === e.citizen && o.kind === 'bank-login').at(-1)?.outcome ?? '-';
    const c = e.phone;
    console.log(
      ` ${e.operator.padEnd(9)} ${e.carrier.padEnd(9)} ${(c?.msisdn ?? '-').padEnd(15)} ${(c?.iccid ?? c?.deviceId ?? '-').slice(0, 21).padEnd(21)} ${(c?.ssdSecureChannel ?? '-').padEnd(12)} ` +
        `${(c?.keyMode ?? '-').padEnd(12)} ${e.outcome.slice(0, 12).padEnd(12)} ${(c ? c.serial.slice(0, 12) : '-').padEnd(13)} ${login}`,
    );
  }
}

function printSummary(r: ScenarioResults, dir: string): void {
  printPhones(r);
  const s = r.summary;
  console.log(`\n operation            outcomes`);
  for (const [kind, outcomes] of Object.entries(s.byKind)) console.log(` ${kind.padEnd(20)} ${Object.entries(outcomes).map(([k, n]) => `${k} ${n}`).join(', ')}`);
  console.log(`\n operator  expected  unexpected`);
  for (const [op, c] of Object.entries(s.byCarrier)) console.log(` ${op.padEnd(9)} ${String(c['expected'] ?? 0).padStart(8)}  ${String(c['unexpected'] ?? 0).padStart(10)}`);
  console.log(`\n${r.operations.length}/${r.planned} operations in ${s.seconds.toFixed(1)} s: ${s.operationsPerSecond.toFixed(2)} ops/s, ${s.enrollmentsPerSecond.toFixed(2)} enrollments/s; enrollment p50 ${s.enrollMs.p50} ms, p99 ${s.enrollMs.p99} ms`);
  const b = s.cryptoBound;
  if (b) console.log(` beside the crypto bound of this machine (${b.cores} cores, RSA-2048 keygen ${b.rsa2048KeygenPerSecond.toFixed(1)}/s, sign ${b.rsa2048SignPerSecond.toFixed(0)}/s per thread): ${b.boundPerSecond.toFixed(2)} enrollments/s, so ${(b.ofBound * 100).toFixed(1)} % of it`);
  for (const f of r.faults) console.log(` fault at ${f.at} s: ${f.kind} ${f.targets.join(' + ')} (recovered in ${(f.recoveredMs / 1000).toFixed(1)} s)`);
  const failed = r.invariants.filter((i) => !i.passed);
  if (r.unchecked) console.log(` quiescence and invariants not checked: ${r.unchecked}`);
  else console.log(` quiescent: ${r.quiescent ? 'yes' : 'NO'}; invariants: ${r.invariants.length - failed.length} passed, ${failed.length} failed${failed.length ? ` (${failed.map((i) => i.name).join(', ')})` : ''}`);
  for (const t of r.thresholds) console.log(` threshold ${t.name}: ${Number(t.actual.toFixed(4))} (limit ${t.limit}) ${t.passed ? 'pass' : 'FAIL'}`);
  console.log(`\n${r.interrupted ? 'INTERRUPTED — ' : ''}${r.passed ? 'PASSED' : 'FAILED'}. Results: ${dir}/results.json, report: ${dir}/report.html; logs: .run/${PREFIX}/logs`);
}

/** Under --json a failure is also `{"error","reason"}` on stdout, as the other CLIs report theirs. */
function fail(err: Error, message: string, reason: string, code: number): never {
  console.error(message);
  if (process.argv.includes('--json')) console.log(JSON.stringify({ error: err.message, reason }));
  process.exit(code);
}

if (require.main === module) {
  program.parseAsync().catch((err: Error) => {
    if (err instanceof ScenarioFileError) fail(err, `scenario refused before anything started:\n${err.message}`, 'SCENARIO_INVALID', 2);
    if (err instanceof PlatformContextError) {
      fail(err, `scenario: the target${chosen ? ` (${describeChoice(chosen)})` : ''} is refused before anything started:\n${err.message}`, cliFailure(err).reason, 2);
    }
    if (err instanceof InvalidArgumentError) fail(err, `scenario: ${err.message}`, 'USAGE', 2);
    fail(err, `[scenario] failed: ${err.stack ?? err.message}`, 'FAILED', 1);
  });
}
