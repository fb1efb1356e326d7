import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { propertyResults, testsOf, type JestJson } from '@jpki/testing';
import type { ScenarioResults } from './results';

const CHART_JS = join(__dirname, '../../node_modules/chart.js/dist/chart.umd.min.js');
const BUCKET_MS = 5_000;

export interface SecurityItem {
  id: string;
  title: string;
  verdict: string;
  tests: { fullName: string; status: string; file: string }[];
}

/** The seed's security items 1–11 with the tests that show them and their result in the last run (reports/jest.json), or undefined without a run. */
export function securityItems(jestJson = 'reports/jest.json'): SecurityItem[] | undefined {
  if (!existsSync(jestJson)) return undefined;
  const tests = testsOf(JSON.parse(readFileSync(jestJson, 'utf8')) as JestJson);
  return propertyResults(tests)
    .filter((r) => /^\d+$/.test(r.property.id))
    .map((r) => ({ id: r.property.id, title: r.property.title, verdict: r.verdict, tests: r.matched }));
}

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A self-contained page (Chart.js inlined, data embedded): charts, faults, invariants, thresholds and the security items. */
export function renderReport(r: ScenarioResults, security: SecurityItem[] | undefined): string {
  const data = JSON.stringify({ charts: chartData(r) }).replace(/</g, '\\u003c');
  const s = r.summary;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Scenario ${escape(r.scenario.name)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:24px;max-width:1200px;color:#1a1a1a}
h1{margin-bottom:4px} .verdict{font-weight:bold;color:${r.passed ? '#1b7a1b' : '#b00020'}}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(520px,1fr));gap:24px}
.small{display:grid;grid-template-columns:repeat(auto-fit,minmax(260px,1fr));gap:12px}
table{border-collapse:collapse;margin:8px 0} td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}
.pass{color:#1b7a1b}.fail{color:#b00020}
</style></head><body>
<h1>Scenario ${escape(r.scenario.name)}</h1>
<p>${escape(r.scenario.description ?? '')}</p>
<p>File <code>${escape(r.file)}</code>, seed ${r.scenario.seed}, started ${escape(r.startedAt)}${r.interrupted ? ', <b>interrupted (Ctrl-C): results so far</b>' : ''}.
${r.operations.length} of ${r.planned} planned operations in ${s.seconds.toFixed(1)} s (${s.operationsPerSecond.toFixed(2)}/s; ${s.enrollmentsPerSecond.toFixed(2)} enrollments/s);
enrollment p50 ${s.enrollMs.p50} ms, p95 ${s.enrollMs.p95} ms, p99 ${s.enrollMs.p99} ms; unexpected outcomes ${s.unexpected}; lost ${s.lost ?? 'not checked'}.
${s.cryptoBound ? `The machine's crypto bound (${s.cryptoBound.cores} cores, measured after the run): ${s.cryptoBound.boundPerSecond.toFixed(2)} enrollments/s; this run reached ${(s.cryptoBound.ofBound * 100).toFixed(1)} % of it.` : ''}
Verdict: <span class="verdict">${r.passed ? 'PASSED' : 'FAILED'}</span></p>
<h2>Thresholds</h2>${table(['threshold', 'limit', 'actual', 'result'], r.thresholds.map((t) => [t.name, String(t.limit), String(Number(t.actual.toFixed(4))), verdict(t.passed)]))}
<div class="grid">
<section><h2>Throughput per carrier (operations/s, faults marked)</h2><canvas id="throughput"></canvas></section>
<section><h2>Enrollment latency over time per carrier (ms)</h2><canvas id="latency"></canvas></section>
<section><h2>Outcomes by operation</h2><canvas id="outcomes"></canvas></section>
<section><h2>Revocation propagation per loss report (ms)</h2><canvas id="propagation"></canvas>
<p>From the loss report to the certificate on hold at the CA (the case's certificate-hold step) and to the first refusal by a relying party's OCSP check of an answer signed before the report.</p></section>
</div>
<h2>Latency per saga step (histograms, ms)</h2><div class="small" id="steps"></div>
<h2>Failures by cause</h2>${table(['operation', 'outcome', 'count'], failures(r))}
<h2>Faults</h2>${table(['planned at', 'started at (s)', 'kind', 'targets', 'recovered in'], r.faults.map((f) => [`${f.plannedAtMs / 1000} s`, String(f.at), f.kind, f.targets.join(', '), `${(f.recoveredMs / 1000).toFixed(1)} s`]))}
<h2>Invariants${r.unchecked ? ` (not checked: ${escape(r.unchecked)})` : r.quiescent ? '' : ' (the platform was not quiescent)'}</h2>${table(['check', 'result', 'violations'], r.invariants.map((i) => [`${i.name}: ${i.description}`, verdict(i.passed), i.violations.slice(0, 3).map((v) => JSON.stringify(v)).join('\n') || '-']))}
<h2>Security items 1–11</h2>${security ? table(['item', 'verdict', 'tests (last run)'], security.map((i) => [`${i.id}. ${i.title}`, i.verdict, i.tests.map((t) => `${t.status === 'passed' ? '✓' : '✗'} ${t.fullName} (${t.file})`).join('\n') || '-'])) : '<p>no test run found (reports/jest.json): run <code>npm test</code> first.</p>'}
<script>${readFileSync(CHART_JS, 'utf8')}</script>
<script type="application/json" id="data">${data}</script>
<script>${CLIENT_SCRIPT}</script>
</body></html>
`;
}

const verdict = (passed: boolean) => `<span class="${passed ? 'pass' : 'fail'}">${passed ? 'pass' : 'FAIL'}</span>`;

function table(head: string[], rows: string[][]): string {
  if (rows.length === 0) return '<p>none</p>';
  const cell = (c: string) => (c.startsWith('<span') ? c : escape(c).replace(/\n/g, '<br>'));
  return `<table><tr>${head.map((h) => `<th>${escape(h)}</th>`).join('')}</tr>${rows.map((row) => `<tr>${row.map((c) => `<td>${cell(c)}</td>`).join('')}</tr>`).join('')}</table>`;
}

function failures(r: ScenarioResults): string[][] {
  const counts = new Map<string, number>();
  for (const o of r.operations.filter((x) => !x.expected)) counts.set(`${o.kind}\t${o.outcome}`, (counts.get(`${o.kind}\t${o.outcome}`) ?? 0) + 1);
  return [...counts].map(([k, n]) => [...k.split('\t'), String(n)]);
}

/** Everything the charts draw, computed here so the page only renders. */
function chartData(r: ScenarioResults) {
  const carriers = [...new Set(r.operations.map((o) => o.operator))].sort();
  const buckets = Math.max(1, Math.ceil(Math.max(0, ...r.operations.map((o) => o.endedAtMs)) / BUCKET_MS));
  const labels = Array.from({ length: buckets }, (_, i) => (i * BUCKET_MS) / 1000);
  const throughput = carriers.map((c) => {
    const counts = Array<number>(buckets).fill(0);
    for (const o of r.operations.filter((x) => x.operator === c)) counts[Math.min(buckets - 1, Math.floor(o.endedAtMs / BUCKET_MS))] += 1000 / BUCKET_MS;
    return { label: c, data: counts };
  });
  const latency = carriers.map((c) => ({ label: c, data: r.operations.filter((o) => o.operator === c && o.kind === 'enroll').map((o) => ({ x: o.endedAtMs / 1000, y: o.ms })) }));
  const kinds = [...new Set(r.operations.map((o) => o.kind))];
  const outcomes = [...new Set(r.operations.map((o) => o.outcome))].map((outcome) => ({ label: outcome, data: kinds.map((k) => r.operations.filter((o) => o.kind === k && o.outcome === outcome).length) }));
  const losses = r.operations.filter((o) => o.propagation);
  return {
    labels,
    throughput,
    faults: r.faults.map((f) => ({ x: f.at, label: `${f.kind} ${f.targets.join(', ')}` })),
    latency,
    kinds,
    outcomes,
    propagation: {
      labels: losses.map((o) => `#${o.citizen} ${o.operator}`),
      caHold: losses.map((o) => o.propagation?.caHoldMs ?? null),
      rpRefusal: losses.map((o) => o.propagation?.rpRefusalMs ?? null),
    },
    steps: stepHistograms(r),
  };
}

function stepHistograms(r: ScenarioResults) {
  const byStep = new Map<string, number[]>();
  for (const o of r.operations) for (const s of o.steps ?? []) byStep.set(`${o.kind}: ${s.step}`, [...(byStep.get(`${o.kind}: ${s.step}`) ?? []), s.ms]);
  return [...byStep].map(([step, values]) => {
    const max = Math.max(...values, 1);
    const width = Math.max(1, Math.ceil(max / 10));
    const bins = Array<number>(Math.ceil((max + 1) / width)).fill(0);
    for (const v of values) bins[Math.floor(Math.max(0, v) / width)] += 1;
    return { step, labels: bins.map((_, i) => `${i * width}`), data: bins };
  });
}

/** Runs in the page: draws the charts from the embedded data with Chart.js (no animation, so a screenshot shows them drawn). */
const CLIENT_SCRIPT = `
const d = JSON.parse(document.getElementById('data').textContent).charts;
Chart.defaults.animation = false;
const faultMarks = { type: 'bar', label: 'faults', backgroundColor: 'rgba(176,0,32,0.35)', barThickness: 4,
  data: d.labels.map((t) => (d.faults.some((f) => f.x >= t && f.x < t + 5) ? Math.max(1, ...d.throughput.flatMap((s) => s.data)) : null)) };
const palette = ['#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#bcbd22'];
new Chart(document.getElementById('throughput'), { type: 'line', data: { labels: d.labels, datasets: [...d.throughput.map((s, i) => ({ ...s, tension: 0.2, borderColor: palette[i % palette.length], backgroundColor: palette[i % palette.length] })), faultMarks] },
  options: { scales: { x: { title: { display: true, text: 's' } } }, plugins: { tooltip: { callbacks: { afterBody: (items) => d.faults.filter((f) => f.x >= Number(items[0].label) && f.x < Number(items[0].label) + 5).map((f) => 'fault: ' + f.label) } } } } });
new Chart(document.getElementById('latency'), { type: 'scatter', data: { datasets: d.latency.map((s, i) => ({ ...s, borderColor: palette[i % palette.length], backgroundColor: palette[i % palette.length] })) }, options: { scales: { x: { title: { display: true, text: 's' } }, y: { title: { display: true, text: 'ms' } } } } });
new Chart(document.getElementById('outcomes'), { type: 'bar', data: { labels: d.kinds, datasets: d.outcomes }, options: { scales: { x: { stacked: true }, y: { stacked: true } } } });
new Chart(document.getElementById('propagation'), { type: 'bar', data: { labels: d.propagation.labels, datasets: [{ label: 'CA hold', data: d.propagation.caHold }, { label: 'relying-party refusal', data: d.propagation.rpRefusal }] } });
for (const s of d.steps) {
  const box = document.createElement('section');
  box.innerHTML = '<h3></h3><canvas></canvas>';
  box.querySelector('h3').textContent = s.step;
  document.getElementById('steps').appendChild(box);
  new Chart(box.querySelector('canvas'), { type: 'bar', data: { labels: s.labels, datasets: [{ label: 'operations', data: s.data }] }, options: { plugins: { legend: { display: false } } } });
}
`;
