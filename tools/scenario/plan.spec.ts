import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hostCarrierOf } from '@jpki/contracts';
import { loadScenario, parseScenario } from './load-scenario';
import { arrivalTimes, planScenario } from './plan';
import { scenarioJsonSchema } from './scenario-schema';

const SCENARIOS = join(__dirname, '../../scenarios');

describe('scenario plans are deterministic', () => {
  it('the same seed and scenario give the same population and the same events in the same simulated order', () => {
    const scenario = loadScenario(join(SCENARIOS, 'carrier-day.yaml'), { citizens: 300 });
    const first = planScenario(scenario);
    expect(planScenario(loadScenario(join(SCENARIOS, 'carrier-day.yaml'), { citizens: 300 }))).toEqual(first);
    expect(first.citizens).toHaveLength(300);
    expect(first.events.map((e) => e.atMs)).toEqual([...first.events.map((e) => e.atMs)].sort((a, b) => a - b));
    const other = planScenario({ ...scenario, seed: scenario.seed + 1 });
    expect(other.events.map((e) => `${e.citizen}:${e.kind}`)).not.toEqual(first.events.map((e) => `${e.citizen}:${e.kind}`));
  });

  it('every shipped scenario file is accepted', () => {
    const files = readdirSync(SCENARIOS).filter((f) => f.endsWith('.yaml'));
    expect(files).toEqual(expect.arrayContaining(['quick-tour.yaml', 'carrier-day.yaml', 'mvno-launch.yaml', 'mass-incident.yaml', 'certificate-lifetimes.yaml']));
    for (const f of files) expect(planScenario(loadScenario(join(SCENARIOS, f))).citizens.length).toBeGreaterThan(0);
  });

  it('scenarios/phone-signing.yaml: one eSE phone, holding a signing certificate, whose holder moves', () => {
    const plan = planScenario(loadScenario(join(SCENARIOS, 'phone-signing.yaml')));
    const ese = plan.citizens.filter((c) => c.handset === 'android-ese');
    expect(ese).toMatchObject([{ signingCertificate: true, keyMode: 'on-card' }]);
    expect(plan.events.filter((e) => e.citizen === ese[0].index).map((e) => e.kind)).toContain('address-change');
  });

  it('shares become exact counts: operators, lost phones and finds', () => {
    const plan = planScenario(loadScenario(join(SCENARIOS, 'quick-tour.yaml')));
    expect(plan.citizens.map((c) => c.operator).sort()).toEqual(['docomo', 'kddi', 'mineo', 'softbank']);
    expect(plan.events.filter((e) => e.kind === 'loss')).toHaveLength(1);
    expect(plan.events.filter((e) => e.kind === 'found')).toHaveLength(1);
    const loss = plan.events.find((e) => e.kind === 'loss')!;
    expect(plan.events.find((e) => e.kind === 'found')!.seq).toBeGreaterThan(loss.seq);
  });

  it('iPhones and eSE phones get no carrier flow and no legacy SIM; a device change across carriers moves to another host carrier', () => {
    const text =
      'name: mix\nseed: 3\nduration: 60s\npopulation: { citizens: 40, operators: { docomo: 50, linemo: 50 }, handsets: { android: 25, android-ese: 25, iphone-method-1: 25, iphone-method-2: 25 } }\narrivals: { rate: 4 }\n' +
      'events: { msisdn-change: 1, contract-end: 1, sim-swap: 1, device-change-across-carriers: 1, device-change: 1, loss: 1 }\n';
    const plan = planScenario(parseScenario(text, 'mix.yaml'));
    const handset = (e: { citizen: number }) => plan.citizens[e.citizen].handset;
    for (const kind of ['msisdn-change', 'contract-end', 'sim-swap', 'device-change-across-carriers']) {
      expect(plan.events.filter((e) => e.kind === kind).map(handset)).toEqual(Array(10).fill('android'));
    }
    expect(new Set(plan.events.filter((e) => e.kind === 'device-change').map(handset))).toEqual(new Set(['android', 'android-ese', 'iphone-method-1', 'iphone-method-2']));
    expect(plan.events.filter((e) => e.kind === 'loss')).toHaveLength(40);
    for (const change of plan.events.filter((e) => e.kind === 'device-change-across-carriers')) {
      expect(hostCarrierOf(change.toOperator!)).not.toBe(plan.citizens[change.citizen].carrier);
    }
    const legacy = planScenario(parseScenario(text.replace('population: {', 'population: { simGenerations: { legacy: 100 },'), 'legacy.yaml'));
    expect(legacy.citizens.filter((c) => c.legacySim).map((c) => c.handset)).toEqual(Array(10).fill('android'));
  });

  it('phone signing certificates: the exact share of android and android-ese on-card enrollments, chosen by the seed; e-applications only on those phones, address changes on a share of every phone', () => {
    const text =
      'name: signing\nseed: 11\nduration: 60s\npopulation: { citizens: 40, operators: { docomo: 100 }, handsets: { android: 50, android-ese: 25, iphone-method-2: 25 }, keyModes: { on-card: 50, delivered: 50 }, signingCertificates: 50 }\narrivals: { rate: 4 }\n' +
      'events: { e-application: 2, address-change: 0.25, bank-login: 1 }\n';
    const plan = planScenario(parseScenario(text, 'signing.yaml'));
    const eligible = plan.citizens.filter((c) => c.handset.startsWith('android') && c.keyMode === 'on-card');
    const signing = plan.citizens.filter((c) => c.signingCertificate);
    expect(eligible.length).toBeGreaterThan(4);
    expect(new Set(signing.map((c) => c.handset))).toEqual(new Set(['android', 'android-ese']));
    expect(signing).toHaveLength(Math.round(eligible.length / 2));
    expect(signing.every((c) => eligible.includes(c))).toBe(true);
    expect(planScenario(parseScenario(text, 'signing.yaml'))).toEqual(plan);
    expect(planScenario(parseScenario(text.replace('seed: 11', 'seed: 12'), 'signing.yaml')).citizens.filter((c) => c.signingCertificate).map((c) => c.index)).not.toEqual(signing.map((c) => c.index));
    const applications = plan.events.filter((e) => e.kind === 'e-application');
    expect(applications).toHaveLength(2 * signing.length);
    expect(new Set(applications.map((e) => e.citizen))).toEqual(new Set(signing.map((c) => c.index)));
    for (const e of applications) expect(e.atMs).toBeGreaterThan(plan.citizens[e.citizen].arrivalMs);
    expect(plan.events.filter((e) => e.kind === 'address-change')).toHaveLength(10);
    expect(new Set(plan.events.filter((e) => e.kind === 'address-change').map((e) => e.citizen)).size).toBe(10);

    const everyone = planScenario(parseScenario(text.replace('signingCertificates: 50', 'signingCertificates: 100'), 'all.yaml'));
    expect(everyone.citizens.filter((c) => c.signingCertificate)).toHaveLength(eligible.length);
  });

  it('without signing certificates the plan is the one the runner made before them (no draw is added)', () => {
    const base = 'name: same\nseed: 5\nduration: 30s\npopulation: { citizens: 12, operators: { kddi: 50, mineo: 50 } }\narrivals: { rate: 2 }\nevents: { bank-login: 1.5, loss: 0.25, found: 1, device-change: 0.25 }\n';
    const before = planScenario(parseScenario(base, 'same.yaml'));
    const after = planScenario(parseScenario(base.replace('device-change: 0.25', 'device-change: 0.25, e-application: 0, address-change: 0').replace('mineo: 50 }', 'mineo: 50 }, signingCertificates: 0'), 'same.yaml'));
    expect(after).toEqual(before);
    expect(before.citizens.every((c) => !c.signingCertificate)).toBe(true);
  });

  it('k6-style stages ramp the arrival rate', () => {
    const s = parseScenario('name: ramp\nseed: 1\nduration: 60s\npopulation: { citizens: 30, operators: { docomo: 100 } }\narrivals:\n  stages: [{ duration: 10s, target: 2 }, { duration: 10s, target: 2 }]\n', 'ramp.yaml');
    const times = arrivalTimes(s, 30);
    // 10 citizens during the ramp from 0 to 2/s, then 2/s: 20 more in the next 10 s.
    expect(times.filter((t) => t < 10_000)).toHaveLength(10);
    expect(times[29]).toBeLessThan(20_000);
  });

  it('the published JSON Schema is the one generated from the scenario schema', () => {
    expect(readFileSync(join(SCENARIOS, 'scenario.schema.json'), 'utf8')).toBe(scenarioJsonSchema());
  });
});
