import { parseScenario, ScenarioFileError } from './load-scenario';

const VALID = `name: small
seed: 7
duration: 30s
population:
  citizens: 10
  operators:
    docomo: 50
    kddi: 30
    mineo: 20
arrivals:
  rate: 2
faults:
  - at: 10s
    kill: sp-tsm
    down: 2s
`;

function problems(text: string): string[] {
  try {
    parseScenario(text, 'bad.yaml');
  } catch (err) {
    if (err instanceof ScenarioFileError) return err.problems;
    throw err;
  }
  throw new Error('the scenario was accepted');
}

describe('scenario files are refused before anything starts, with file, line, column and reason', () => {
  it('accepts a valid file (and --subscribers overrides the population)', () => {
    expect(parseScenario(VALID, 'ok.yaml', { citizens: 2000 }).population.citizens).toBe(2000);
  });

  it('an unknown carrier: points at its key', () => {
    expect(problems(VALID.replace('    kddi: 30', '    rakuten: 30'))).toEqual([
      'bad.yaml:8:5: population.operators.rakuten: unknown carrier or MVNO "rakuten" (known: docomo, kddi, softbank, iijmio, mineo, linemo)',
    ]);
  });

  it('a negative rate', () => {
    expect(problems(VALID.replace('rate: 2', 'rate: -3'))).toEqual(['bad.yaml:11:9: arrivals.rate: the arrival rate must be above 0 (citizens per second)']);
  });

  it('shares not summing to 100 %', () => {
    expect(problems(VALID.replace('mineo: 20', 'mineo: 25'))).toEqual(['bad.yaml:6:3: population.operators: shares sum to 105 %, not 100 %']);
  });

  it('a fault on a service that does not exist', () => {
    expect(problems(VALID.replace('kill: sp-tsm', 'kill: billing'))).toEqual([
      'bad.yaml:14:11: faults.0.kill: no service "billing" in the platform (services: jpki-ca, sp-tsm, mno-tsm-docomo, mno-tsm-kddi, mno-tsm-softbank, se-tsm, vsim, lifecycle, rp-bank, rp-ticketing, rp-eapplication)',
    ]);
  });

  it('device changes, card renewals, eSE phones and iPhones are accepted; renewal and expiry as events of one phone are refused with the way to ask for them', () => {
    const s = parseScenario(`${VALID.replace('arrivals:', '  handsets: { android: 40, android-ese: 10, iphone-method-1: 25, iphone-method-2: 25 }\narrivals:')}events:\n  device-change: 0.1\n  device-change-across-carriers: 0.1\n  card-renewal: 0.1\n`, 'ok.yaml');
    expect(s.population.handsets).toEqual({ android: 40, 'android-ese': 10, 'iphone-method-1': 25, 'iphone-method-2': 25 });
    expect(s.events).toEqual({ 'device-change': 0.1, 'device-change-across-carriers': 0.1, 'card-renewal': 0.1 });
    expect(problems(`${VALID}events:\n  certificate-expiry: 0.1\n`)).toEqual([
      'bad.yaml:17:3: events.certificate-expiry: "certificate-expiry" is not an event of one phone: the simulation clock moves every phone of the environment at once; use a clock move (clock.moves: [{ advanceDays, expect: certificate-expiry }])',
    ]);
    expect(problems(VALID.replace('arrivals:', '  handsets: { android: 50, android-uicc: 50 }\narrivals:'))).toEqual(['bad.yaml:10:42: population.handsets.android-uicc: Invalid key in record']);
    expect(problems(`${VALID}events:\n  device-change: 1.5\n`)).toEqual(['bad.yaml:17:18: events.device-change: "device-change" is a share of phones from 0 to 1']);
  });

  it('phone signing certificates: a share of android and android-ese on-card enrollments, e-applications need them, an address change is a share of phones', () => {
    const signing = (population: string, events = '') => `${VALID.replace('arrivals:', `${population}arrivals:`)}${events}`;
    const s = parseScenario(signing('  signingCertificates: 40\n', 'events:\n  e-application: 2\n  address-change: 0.1\n'), 'ok.yaml');
    expect(s.population.signingCertificates).toBe(40);
    expect(s.events).toEqual({ 'e-application': 2, 'address-change': 0.1 });
    expect(problems(signing('  signingCertificates: 140\n'))).toEqual(['bad.yaml:10:24: population.signingCertificates: a share is a percentage from 0 to 100']);
    expect(problems(signing('  keyModes: { delivered: 100 }\n  signingCertificates: 40\n'))).toEqual([
      'bad.yaml:11:24: population.signingCertificates: a phone signing certificate is issued to android and android-ese on-card enrollments only, and the population has no on-card enrollments (population.keyModes.on-card is 0)',
    ]);
    expect(problems(signing('  handsets: { iphone-method-1: 100 }\n  signingCertificates: 40\n'))).toEqual([
      'bad.yaml:11:24: population.signingCertificates: a phone signing certificate is issued to android and android-ese on-card enrollments only, and the population has no android or android-ese handsets (population.handsets)',
    ]);
    expect(parseScenario(signing('  handsets: { android-ese: 60, iphone-method-1: 40 }\n  signingCertificates: 40\n'), 'ok.yaml').population.handsets).toEqual({ 'android-ese': 60, 'iphone-method-1': 40 });
    expect(problems(signing('', 'events:\n  e-application: 1\n'))).toEqual([
      'bad.yaml:17:3: events.e-application: "e-application" is signed with the phone signing certificate: give population.signingCertificates above 0 %',
    ]);
    expect(problems(signing('  signingCertificates: 40\n', 'events:\n  address-change: 2\n'))).toEqual(['bad.yaml:18:19: events.address-change: "address-change" is a share of phones from 0 to 1']);
  });

  it('an OTA degradation names a known carrier; its latency and loss belong to it alone', () => {
    const degraded = VALID.replace('kill: sp-tsm\n    down: 2s', 'ota-degradation: kddi\n    down: 30s\n    latencyMs: 900');
    expect(parseScenario(degraded, 'ok.yaml').faults).toEqual([{ at: '10s', 'ota-degradation': 'kddi', down: '30s', latencyMs: 900 }]);
    expect(problems(degraded.replace('ota-degradation: kddi', 'ota-degradation: au'))).toEqual(['bad.yaml:14:22: faults.0.ota-degradation: unknown carrier "au" (docomo, kddi, softbank)']);
    expect(problems(VALID.replace('down: 2s', 'down: 2s\n    loss: 0.5'))).toEqual(['bad.yaml:13:5: faults.0: latencyMs and loss belong to an ota-degradation fault']);
  });

  it('clock moves: forward only, with a consequence the runner checks', () => {
    const clock = (moves: string) => `${VALID}clock:\n  phoneCertificateDays: 120\n  moves:\n${moves}`;
    expect(parseScenario(clock('    - { advanceDays: 40, expect: certificate-renewal }\n'), 'ok.yaml').clock).toEqual({ phoneCertificateDays: 120, moves: [{ advanceDays: 40, expect: 'certificate-renewal' }] });
    expect(problems(clock('    - { advanceDays: -3, expect: certificate-expiry }\n'))).toEqual(['bad.yaml:19:22: clock.moves.0.advanceDays: the simulation clock only moves forward']);
    expect(problems(clock('    - { advanceDays: 3, expect: card-renewal }\n'))[0]).toMatch(/^bad\.yaml:19:\d+: clock\.moves\.0\.expect: /);
  });

  it('an unknown field and a YAML syntax error', () => {
    expect(problems(VALID.replace('seed: 7', 'seed: 7\nspeed: 2'))).toEqual(['bad.yaml:3:1: speed: unknown field "speed"']);
    expect(problems(VALID.replace('  rate: 2', '  rate: [2'))[0]).toMatch(/^bad\.yaml:12:\d+: /);
  });
});
