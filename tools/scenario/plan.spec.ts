import { readFileSync } from 'node:fs';
import { join } from 'node:path';
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

  it('shares become exact counts: operators, lost phones and finds', () => {
    const plan = planScenario(loadScenario(join(SCENARIOS, 'quick-tour.yaml')));
    expect(plan.citizens.map((c) => c.operator).sort()).toEqual(['docomo', 'kddi', 'mineo', 'softbank']);
    expect(plan.events.filter((e) => e.kind === 'loss')).toHaveLength(1);
    expect(plan.events.filter((e) => e.kind === 'found')).toHaveLength(1);
    const loss = plan.events.find((e) => e.kind === 'loss')!;
    expect(plan.events.find((e) => e.kind === 'found')!.seq).toBeGreaterThan(loss.seq);
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
