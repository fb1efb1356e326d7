import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimulatedAttestationAuthority } from '@jpki/iphone-device';
import { PlatformContextError } from '@jpki/jpki-client';
import { parseScenario } from './load-scenario';
import { planScenario } from './plan';
import { scenarioTarget, targetRefusals } from './run-scenario';

const SCENARIO = `name: on-target
seed: 1
duration: 10s
population: { citizens: 4, operators: { docomo: 100 }, handsets: { android: 50, iphone-method-2: 50 } }
arrivals: { rate: 1 }
ota: { docomo: { latencyMs: 50 } }
faults:
  - { at: 2s, kill: sp-tsm, down: 1s }
  - { at: 4s, restart: broker }
clock: { moves: [{ advanceDays: 40, expect: certificate-renewal }] }
`;

describe('--target: the platform a scenario runs against without starting it', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'scenario-target-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a URL is the jpki-ca of a platform laid out as npm start does (same port offset on that host); anything else a context file', () => {
    const byUrl = scenarioTarget('http://127.0.0.1:7150', undefined, { JPKI_OPERATOR_TOKEN: 'given' });
    expect(byUrl.context.endpoints()).toMatchObject({ ca: 'http://127.0.0.1:7150', lifecycle: 'http://127.0.0.1:7550', mno: { softbank: 'http://127.0.0.1:7353' } });
    expect(byUrl.context.operatorToken({ sub: 'scenario@integrator', roles: 'integrator', audience: ['jpki-ca'] })).toBe('given');
    expect(byUrl.iphoneVendor).toBeUndefined();

    const context = join(dir, 'staging.yaml');
    writeFileSync(context, 'name: staging\nservices:\n  jpki-ca: https://ca.staging.example\noperatorToken: { tokenEnv: STAGING_TOKEN }\n');
    const vendorFile = join(dir, 'vendor.json');
    const vendor = SimulatedAttestationAuthority.generate();
    writeFileSync(vendorFile, JSON.stringify(vendor.toJSON()));
    const byFile = scenarioTarget(context, undefined, { JPKI_DEVICE_ATTESTATION: vendorFile });
    expect(byFile.context.name).toBe('staging');
    expect(byFile.iphoneVendor?.trustAnchorBase64).toBe(vendor.trustAnchorBase64);
    expect(() => scenarioTarget(join(dir, 'absent.yaml'), undefined, {})).toThrow(PlatformContextError);
  });

  it('refuses, before anything starts, what acts on local processes (faults, the OTA bearer), the environment-wide clock and iPhones without the vendor (not eSE phones)', () => {
    const s = parseScenario(SCENARIO, 'on-target.yaml');
    const target = scenarioTarget('https://jpki.example.org', undefined, {});
    expect(targetRefusals(s, planScenario(s), target)).toEqual([
      'faults.0: a fault acts on the processes of a platform this runner started; jpki.example.org runs elsewhere',
      'faults.1: a fault acts on the processes of a platform this runner started; jpki.example.org runs elsewhere',
      'ota: the OTA bearer is set when the vsim starts; jpki.example.org runs its own',
      "clock: it moves the simulation clock of every phone of jpki.example.org and sets its CA's phone certificate life, which only a platform this runner starts may do",
      'population.handsets: iPhones need the iPhone vendor (attestation CA) the target’s CA trusts: --vendor <file> or JPKI_DEVICE_ATTESTATION=<file>',
    ]);
    const plain = parseScenario(SCENARIO.replace(/ota:[\s\S]*$/, '').replace('android: 50, iphone-method-2: 50', 'android: 50, android-ese: 50'), 'plain.yaml');
    expect(targetRefusals(plain, planScenario(plain), target)).toEqual([]);
  });
});
