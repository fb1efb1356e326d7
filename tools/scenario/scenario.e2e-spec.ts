import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { freePortOffset, releasePortOffset, testDatabaseUrl, testKafkaBrokers, testRunId } from '@jpki/testing';
import { loadScenario } from './load-scenario';
import { planScenario } from './plan';
import { renderReport, securityItems } from './report';
import { writeResults, type ScenarioResults } from './results';
import { runScenario } from './run-scenario';

/**
 * A small scenario file run against the platform (every service its own process, real broker and database): the
 * results JSON is checked, then the report is opened in Debian's Chromium (playwright-core), its charts must be drawn
 * with data and the page must log no error. The report and its screenshot stay in reports/scenarios/.
 */
const ROOT = resolve(__dirname, '../..');
const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

const SMALL = `name: e2e-small
seed: 4242
duration: 20s
concurrency: 3
population:
  citizens: 3
  operators: { docomo: 34, kddi: 33, linemo: 33 }
  keyModes: { on-card: 67, delivered: 33 }
arrivals:
  rate: 1
events:
  bank-login: 1
  ticket-gate-online: 1
  loss: 0.34
  found: 1
  msisdn-change: 0.34
  contract-end: 0.34
ota:
  kddi: { latencyMs: 120 }
faults:
  - at: 6s
    kill: rp-bank
    down: 2s
thresholds:
  enrollP99Ms: 90000
  lost: 0
  failureRate: 0
`;

describe('scenario runner: a small scenario file against the platform, its results and its report in Chromium', () => {
  let results: ScenarioResults;
  let dir: string;
  let browser: Browser | undefined;
  let portOffset: number | undefined;

  beforeAll(async () => {
    const file = join(tmpdir(), `scenario-${testRunId()}-${randomBytes(3).toString('hex')}.yaml`);
    writeFileSync(file, SMALL);
    const scenario = loadScenario(file);
    portOffset = await freePortOffset();
    const lines: string[] = [];
    results = await runScenario(scenario, planScenario(scenario), {
      file,
      databaseUrl: testDatabaseUrl(),
      brokers: testKafkaBrokers(),
      prefix: `${testRunId()}_scn${randomBytes(2).toString('hex')}`,
      portOffset,
      logDir: join(tmpdir(), 'jpki-scenario', testRunId()),
      keep: false,
      quiescenceTimeoutMs: 60_000,
      measureCryptoBound: false,
      log: (line) => lines.push(line),
      signal: new AbortController().signal,
    });
    if (!results.passed) console.log(lines.join('\n'));
    dir = writeResults(results, renderReport(results, securityItems(join(ROOT, 'reports/jest.json'))), join(ROOT, 'reports/scenarios'));
  }, 170_000);

  afterAll(async () => {
    await browser?.close();
    if (portOffset !== undefined) releasePortOffset(portOffset);
  });

  it('runs every planned operation with the expected outcome, its timings and correlation ids, and passes its thresholds and invariants', () => {
    const written = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as ScenarioResults;
    expect(written.operations).toHaveLength(written.planned);
    expect(written.operations.filter((o) => !o.expected)).toEqual([]);
    expect(written.operations.map((o) => o.kind).sort()).toEqual([
      ...['bank-login', 'bank-login', 'bank-login', 'contract-end', 'enroll', 'enroll', 'enroll', 'found', 'loss', 'msisdn-change'],
      ...['ticket-gate-online', 'ticket-gate-online', 'ticket-gate-online'],
    ]);
    expect(written.operations.find((o) => o.kind === 'contract-end')).toMatchObject({ outcome: expect.stringMatching(/^(completed|waiting-device)$/), correlationId: expect.stringMatching(/^case-/) });
    expect(written.operations.find((o) => o.kind === 'msisdn-change')).toMatchObject({ outcome: 'changed' });
    const enrollments = written.operations.filter((o) => o.kind === 'enroll');
    expect(new Set(enrollments.map((o) => o.operator))).toEqual(new Set(['docomo', 'kddi', 'linemo']));
    for (const e of enrollments) {
      expect(e).toMatchObject({ outcome: 'completed', correlationId: expect.stringMatching(/^enr-/) });
      expect(e.endedAtMs - e.startedAtMs).toBe(e.ms);
      expect(e.steps?.map((s) => s.step)).toEqual(expect.arrayContaining(['identity-proofing', 'ssd-creation', 'certificate-write']));
    }
    const loss = written.operations.find((o) => o.kind === 'loss')!;
    expect(loss).toMatchObject({ outcome: 'completed', correlationId: expect.stringMatching(/^case-/), propagation: { caHoldMs: expect.any(Number), rpRefusalMs: expect.any(Number) } });
    expect(written.faults).toEqual([expect.objectContaining({ kind: 'sigkill', targets: ['rp-bank'], plannedAtMs: 6000 })]);
    expect({ quiescent: written.quiescent, failed: written.invariants.filter((i) => !i.passed) }).toEqual({ quiescent: true, failed: [] });
    expect(written.thresholds.map((t) => [t.name, t.passed])).toEqual([
      ['enrollment p99 (ms)', true],
      ['lost', true],
      ['failure rate', true],
    ]);
    expect(written.passed).toBe(true);
  });

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
