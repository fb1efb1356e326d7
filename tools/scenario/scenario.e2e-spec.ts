import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { loadPlatformContext } from '@jpki/jpki-client';
import { kafkaClient } from '@jpki/messaging';
import { removeRunData } from '@jpki/operations';
import { freePortOffset, releasePortOffset, testDatabaseUrl, testKafkaBrokers, testRunId, type ServiceStack, type StackKeys } from '@jpki/testing';
import { loadScenario } from './load-scenario';
import { planScenario } from './plan';
import { renderReport, securityItems } from './report';
import { writeResults, type ScenarioResults } from './results';
import { runScenario, targetRefusals, type TargetPlatform } from './run-scenario';

/**
 * A small scenario file run against the platform (every service its own process, real broker and database): the
 * results JSON is checked, then the report is opened in Debian's Chromium (playwright-core), its charts must be drawn
 * with data and the page must log no error. The report and its screenshot stay in reports/scenarios/. The platform is
 * kept for a second scenario run with it as a `--target` (a context file): nothing started, its invariants checked; and
 * for scenarios/phone-signing.yaml (phone signing certificates on SIM and eSE phones: e-applications, address changes, a loss and its find).
 */
const ROOT = resolve(__dirname, '../..');
const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

// Planned (seed 4279): docomo phone changed at docomo, then a new MSISDN; a KDDI phone changed to iijmio (docomo), whose
// contract then ends; a linemo phone whose card is renewed (its certificate revoked: later checks refused); an iPhone by
// method ① at mineo, lost and found. Then the clock: 40 days on, the docomo phone's certificate (capped at 120 days) is
// renewed on the same applet and logs in with it (the iPhone is not renewed); 130 days later both have expired.
const SMALL = `name: e2e-small
seed: 4279
duration: 20s
concurrency: 3
population:
  citizens: 4
  operators: { docomo: 25, kddi: 25, linemo: 25, mineo: 25 }
  handsets: { android: 75, iphone-method-1: 25 }
  keyModes: { on-card: 50, delivered: 50 }
arrivals:
  rate: 1
events:
  bank-login: 1
  ticket-gate-online: 1
  loss: 0.25
  found: 1
  msisdn-change: 0.34
  contract-end: 0.34
  device-change: 0.25
  device-change-across-carriers: 0.34
  card-renewal: 0.25
ota:
  kddi: { latencyMs: 120 }
faults:
  - { at: 1s, ota-degradation: kddi, down: 4s, latencyMs: 400, loss: 0 }
  - at: 6s
    kill: rp-bank
    down: 2s
clock:
  phoneCertificateDays: 120
  moves:
    - { advanceDays: 40, expect: certificate-renewal }
    - { advanceDays: 130, expect: certificate-expiry }
thresholds:
  enrollP99Ms: 90000
  lost: 0
  failureRate: 0
`;

/** Against the kept platform: an iPhone by method ② logs in at the bank and passes the online gate. */
const ON_TARGET = `name: e2e-target
seed: 7
duration: 3s
population:
  citizens: 1
  operators: { softbank: 100 }
  handsets: { iphone-method-2: 100 }
arrivals:
  rate: 1
events:
  bank-login: 1
  ticket-gate-online: 1
thresholds:
  lost: 0
  failureRate: 0
`;

describe('scenario runner: a small scenario file against the platform, its results and its report in Chromium', () => {
  let results: ScenarioResults;
  let dir: string;
  let browser: Browser | undefined;
  let portOffset: number | undefined;
  let platform: { stack: ServiceStack; keys: StackKeys } | undefined;
  let prefix: string;
  const lines: string[] = [];
  const scenarioFile = (name: string, text: string) => {
    const file = join(tmpdir(), `${name}-${testRunId()}-${randomBytes(3).toString('hex')}.yaml`);
    writeFileSync(file, text);
    return file;
  };

  beforeAll(async () => {
    const file = scenarioFile('scenario', SMALL);
    const scenario = loadScenario(file);
    portOffset = await freePortOffset();
    prefix = `${testRunId()}_scn${randomBytes(2).toString('hex')}`;
    results = await runScenario(scenario, planScenario(scenario), {
      file,
      platform: {
        kind: 'local',
        databaseUrl: testDatabaseUrl(),
        brokers: testKafkaBrokers(),
        prefix,
        portOffset,
        logDir: join(tmpdir(), 'jpki-scenario', testRunId()),
        keep: true,
        onReady: async (stack, keys) => void (platform = { stack, keys }),
      },
      quiescenceTimeoutMs: 60_000,
      measureCryptoBound: false,
      log: (line) => lines.push(line),
      signal: new AbortController().signal,
    });
    if (!results.passed) console.log(lines.join('\n'));
    dir = writeResults(results, renderReport(results, securityItems(join(ROOT, 'reports/jest.json'))), join(ROOT, 'reports/scenarios'));
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await platform?.stack.stopAll();
    if (prefix) await removeRunData(testDatabaseUrl(), kafkaClient('scenario-e2e', testKafkaBrokers()), `${prefix}.`, `${prefix}_`, () => undefined);
    if (portOffset !== undefined) releasePortOffset(portOffset);
  }, 60_000);

  it('runs every planned operation with the expected outcome, its timings and correlation ids, and passes its thresholds and invariants', () => {
    const written = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as ScenarioResults;
    expect(written.operations).toHaveLength(written.planned);
    expect(written.operations.filter((o) => !o.expected)).toEqual([]);
    expect(written.operations.map((o) => o.kind).sort()).toEqual([
      ...['bank-login', 'bank-login', 'bank-login', 'bank-login', 'card-renewal', 'certificate-expiry', 'certificate-expiry', 'certificate-renewal', 'certificate-renewal'],
      ...['contract-end', 'device-change', 'device-change-across-carriers'],
      ...['enroll', 'enroll', 'enroll', 'enroll', 'found', 'loss', 'msisdn-change'],
      ...['ticket-gate-online', 'ticket-gate-online', 'ticket-gate-online', 'ticket-gate-online'],
    ]);
    const op = (kind: string) => written.operations.find((o) => o.kind === kind)!;
    // The new phone's operator: the contract end and the MSISDN change reach the carrier of the phone the holder has now.
    expect(op('contract-end')).toMatchObject({ operator: 'iijmio', carrier: 'docomo', outcome: expect.stringMatching(/^(completed|waiting-device)$/), correlationId: expect.stringMatching(/^case-/) });
    expect(op('msisdn-change')).toMatchObject({ operator: 'docomo', outcome: 'changed' });
    for (const change of [op('device-change'), op('device-change-across-carriers')]) {
      expect(change).toMatchObject({ outcome: 'completed', correlationId: expect.stringMatching(/^enr-/), phone: { handset: 'android', serial: expect.any(String) } });
      expect(change.steps?.map((s) => s.step)).toEqual(expect.arrayContaining(['certificate-write', 'old-service-termination']));
    }
    expect(op('device-change-across-carriers')).toMatchObject({ operator: 'kddi' });
    expect(op('card-renewal')).toMatchObject({ outcome: expect.stringMatching(/^(completed|waiting-device)$/), correlationId: expect.stringMatching(/^case-/) });
    const renewed = written.operations.filter((o) => o.citizen === op('card-renewal').citizen && o.seq > op('card-renewal').seq);
    expect(renewed.map((o) => o.outcome)).toEqual(['refused-as-expected', 'refused-as-expected']);
    const enrollments = written.operations.filter((o) => o.kind === 'enroll');
    expect(new Set(enrollments.map((o) => o.operator))).toEqual(new Set(['docomo', 'kddi', 'linemo', 'mineo']));
    for (const e of enrollments) {
      expect(e).toMatchObject({ outcome: 'completed', correlationId: expect.stringMatching(/^(enr|ienr)-/) });
      expect(e.endedAtMs - e.startedAtMs).toBe(e.ms);
    }
    const iphone = enrollments.find((e) => e.operator === 'mineo')!;
    expect(iphone.phone).toMatchObject({ handset: 'iphone (ca-generated)', keyMode: 'ca-generated', deviceId: expect.stringMatching(/^IPHONE-/) });
    for (const e of enrollments.filter((x) => x !== iphone)) expect(e.steps?.map((s) => s.step)).toEqual(expect.arrayContaining(['identity-proofing', 'ssd-creation', 'certificate-write']));
    expect(written.operations.filter((o) => o.citizen === iphone.citizen).map((o) => [o.kind, o.outcome])).toEqual([
      ['enroll', 'completed'],
      ['bank-login', 'ok'],
      ['ticket-gate-online', 'ok'],
      ['loss', 'completed'],
      ['found', 'completed'],
      ['certificate-renewal', 'skipped:iphone-not-renewed'],
      ['certificate-expiry', 'refused:CERTIFICATE_EXPIRED'],
    ]);
    const renewal = written.operations.find((o) => o.kind === 'certificate-renewal' && o.operator === 'docomo')!;
    expect(renewal).toMatchObject({ outcome: 'renewed', correlationId: expect.stringMatching(/^case-/) });
    expect(written.operations.filter((o) => o.citizen === renewal.citizen && o.seq > renewal.seq).map((o) => [o.kind, o.outcome])).toEqual([['certificate-expiry', 'refused:CERTIFICATE_EXPIRED']]);
    const loss = written.operations.find((o) => o.kind === 'loss')!;
    expect(loss).toMatchObject({ outcome: 'completed', correlationId: expect.stringMatching(/^case-/), propagation: { caHoldMs: expect.any(Number), rpRefusalMs: expect.any(Number) } });
    expect(written.faults).toEqual([
      expect.objectContaining({ kind: 'ota-degradation', targets: ['ota kddi 400 ms loss 0 for 4 s'], plannedAtMs: 1000 }),
      expect.objectContaining({ kind: 'sigkill', targets: ['rp-bank'], plannedAtMs: 6000 }),
    ]);
    expect({ quiescent: written.quiescent, failed: written.invariants.filter((i) => !i.passed) }).toEqual({ quiescent: true, failed: [] });
    expect(written.thresholds.map((t) => [t.name, t.passed])).toEqual([
      ['enrollment p99 (ms)', true],
      ['lost', true],
      ['failure rate', true],
    ]);
    expect(written.passed).toBe(true);
  });

  /** The kept platform as a `--target` context file, with its token and database from the environment. */
  const keptTarget = (): TargetPlatform => {
    const { keys } = platform!;
    const offset = portOffset!;
    const context = scenarioFile(
      'context',
      `name: kept\nservices:\n${Object.entries({ 'jpki-ca': 7100, 'sp-tsm': 7200, 'mno-tsm-docomo': 7301, 'mno-tsm-kddi': 7302, 'mno-tsm-softbank': 7303, 'se-tsm': 7304, vsim: 7400, lifecycle: 7500, 'rp-bank': 7600, 'rp-ticketing': 7700, 'rp-eapplication': 7900 })
        .map(([service, port]) => `  ${service}: http://127.0.0.1:${port + offset}`)
        .join('\n')}\noperatorToken: { tokenEnv: SCENARIO_TARGET_TOKEN }\noperations: { kafkaBrokers: [${testKafkaBrokers().join(', ')}], topicPrefix: ${prefix}., schemaPrefix: ${prefix}_, databaseUrlEnv: SCENARIO_TARGET_DATABASE }\n`,
    );
    const env = { SCENARIO_TARGET_TOKEN: keys.operatorToken('scenario@integrator', ['integrator', 'operator', 'auditor']), SCENARIO_TARGET_DATABASE: testDatabaseUrl() };
    return { kind: 'target', context: loadPlatformContext({ file: context, env }) };
  };

  it('runs a scenario against the kept platform as a --target (a context file): nothing started, an iPhone by method ②, the invariants checked there', async () => {
    const { keys } = platform!;
    const file = scenarioFile('target', ON_TARGET);
    const scenario = loadScenario(file);
    const plan = planScenario(scenario);
    const target = keptTarget();
    expect(targetRefusals(scenario, plan, target)).toEqual([expect.stringMatching(/^population\.handsets: iPhones need the iPhone vendor/)]);
    const onTarget = await runScenario(scenario, plan, { file, platform: { ...target, iphoneVendor: keys.deviceAttestation }, quiescenceTimeoutMs: 30_000, measureCryptoBound: false, log: (line) => lines.push(line), signal: new AbortController().signal });
    expect(lines.filter((l) => l.startsWith('starting '))).toHaveLength(1);
    expect(onTarget.operations.map((o) => [o.kind, o.outcome, o.expected])).toEqual([
      ['enroll', 'completed', true],
      ['bank-login', 'ok', true],
      ['ticket-gate-online', 'ok', true],
    ]);
    expect(onTarget.operations[0].phone).toMatchObject({ keyMode: 'device-key' });
    expect({ quiescent: onTarget.quiescent, unchecked: onTarget.unchecked, failed: onTarget.invariants.filter((i) => !i.passed), count: onTarget.invariants.length > 1 }).toEqual({ quiescent: true, unchecked: undefined, failed: [], count: true });
    expect(onTarget.passed).toBe(true);
  }, 120_000);

  it('scenarios/phone-signing.yaml against the kept platform: e-applications signed on a SIM phone and an eSE phone, an address change (signing refused, bank login still good), a loss and its find', async () => {
    const file = join(ROOT, 'scenarios/phone-signing.yaml');
    const scenario = loadScenario(file);
    const plan = planScenario(scenario);
    const run = await runScenario(scenario, plan, { file, platform: keptTarget(), quiescenceTimeoutMs: 30_000, measureCryptoBound: false, log: (line) => lines.push(line), signal: new AbortController().signal });
    if (!run.passed) console.log(JSON.stringify(run.operations.filter((o) => !o.expected), null, 2));
    expect(run.operations.filter((o) => !o.expected)).toEqual([]);
    const byCitizen = (citizen: number) => run.operations.filter((o) => o.citizen === citizen).map((o) => [o.kind, o.outcome]);
    // Planned (seed 6): citizens 0, 1 and 3 hold both phone certificates, citizen 2 the user-authentication one only;
    // citizen 1's phone is an eSE phone (its applet in the handset's embedded SE, through the SE-management TSM).
    expect(plan.citizens.map((c) => c.signingCertificate)).toEqual([true, true, false, true]);
    expect(plan.citizens.map((c) => c.handset)).toEqual(['android', 'android-ese', 'android', 'android']);
    expect(byCitizen(0)).toEqual([
      ['enroll', 'completed'],
      ['e-application', 'accepted'],
      ['e-application', 'accepted'],
      ['bank-login', 'ok'],
    ]);
    expect(byCitizen(1)).toEqual([
      ['enroll', 'completed'],
      ['e-application', 'accepted'],
      ['address-change', 'changed'],
      ['e-application', 'refused:CERTIFICATE_REVOKED:affiliationChanged'],
      ['bank-login', 'ok'],
    ]);
    expect(byCitizen(2)).toEqual([
      ['enroll', 'completed'],
      ['address-change', 'changed'],
      ['bank-login', 'ok'],
    ]);
    expect(byCitizen(3)).toEqual([
      ['enroll', 'completed'],
      ['e-application', 'accepted'],
      ['bank-login', 'ok'],
      ['loss', expect.stringMatching(/^(completed|waiting-device)$/)],
      ['found', expect.stringMatching(/^(completed|waiting-device)$/)],
      ['e-application', 'accepted'],
    ]);
    const enrollments = run.operations.filter((o) => o.kind === 'enroll');
    for (const e of enrollments) {
      if (plan.citizens[e.citizen].signingCertificate) expect(e.phone).toMatchObject({ handset: plan.citizens[e.citizen].handset, keyMode: 'on-card', signingSerial: expect.any(String) });
      else expect(e.phone?.signingSerial).toBeUndefined();
    }
    const ese = enrollments.find((e) => e.citizen === 1)!.phone!;
    expect(ese).toMatchObject({ handset: 'android-ese', seid: expect.stringMatching(/^E5[0-9A-F]{18}$/), msisdn: expect.any(String) });
    expect(ese.iccid).toBeUndefined();
    // The signer the relying party names is the phone's signing certificate.
    for (const application of run.operations.filter((o) => o.kind === 'e-application' && o.outcome === 'accepted')) {
      expect(application.correlationId).toBe(enrollments.find((e) => e.citizen === application.citizen)!.phone!.signingSerial);
    }
    expect({ quiescent: run.quiescent, failed: run.invariants.filter((i) => !i.passed) }).toEqual({ quiescent: true, failed: [] });
    expect(run.thresholds.every((t) => t.passed)).toBe(true);
    expect(run.passed).toBe(true);
  }, 300_000);

  it('the report opens in Chromium with every chart drawn from data and no console error', async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`file://${join(dir, 'report.html')}`);
    // Runs in the page (a string: the browser's DOM types are not this project's): every canvas with its chart's data points.
    const charts = await page.evaluate<{ id: string; points: number; width: number }[]>(`[...document.querySelectorAll('canvas')].map((c) => ({
      id: c.id || c.closest('section').querySelector('h3').textContent,
      points: (Chart.getChart(c)?.data.datasets ?? []).reduce((n, d) => n + d.data.filter((v) => v !== null).length, 0),
      width: c.width,
    }))`);
    await page.screenshot({ path: join(dir, 'report.png'), fullPage: true });
    expect(errors).toEqual([]);
    expect(charts.map((c) => c.id)).toEqual(expect.arrayContaining(['throughput', 'latency', 'outcomes', 'propagation', 'enroll: ssd-creation', 'loss: certificate-hold']));
    expect(charts.filter((c) => c.points === 0 || c.width === 0)).toEqual([]);
    expect(await page.locator('h2', { hasText: 'Invariants' }).count()).toBe(1);
    expect(await page.locator('body').innerText()).toMatch(/Security items 1–11[\s\S]*(no test run found|SP domain creation)/);
    expect(await page.locator('table').first().innerText()).toContain('failure rate');
  });
});
