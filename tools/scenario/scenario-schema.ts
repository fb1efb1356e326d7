/**
 * The scenario file format (YAML). `scenarios/scenario.schema.json` is generated from this schema
 * (`npm start -- --write-schema`; a unit test keeps it in step). The checks that JSON Schema cannot express (known
 * carriers and services, shares summing to 100 %, flows the runner does not drive yet) are in `semanticChecks`.
 */
import { z } from 'zod/v4';
import { CARRIERS, MVNOS, PLATFORM_SERVICE_IDENTITIES as PLATFORM_SERVICES } from '@jpki/contracts';

export const OPERATORS: readonly string[] = [...CARRIERS, ...Object.keys(MVNOS)];

/** Events given as a share of phones (0-1) rather than a mean count. */
export const SHARE_EVENTS = [
  'loss',
  'found',
  'card-revocation',
  'card-renewal',
  'msisdn-change',
  'contract-end',
  'sim-swap',
  'device-change',
  'device-change-across-carriers',
  'address-change',
] as const;
/** Events given as a mean count per phone. */
const COUNT_EVENTS = ['bank-login', 'ticket-gate-online', 'ticket-gate-offline', 'e-application'] as const;
/** Flows the runner drives, each over the platform's public APIs. */
export const SUPPORTED_EVENTS = [...COUNT_EVENTS, ...SHARE_EVENTS] as const;
/** Not events of one phone: the `clock` section moves the environment's simulation clock, which acts on every phone at once. */
export const CLOCK_CONSEQUENCES = ['certificate-renewal', 'certificate-expiry'] as const;
/**
 * Android phones, whose JPKI applet lives on a secure element: `android` on the carrier's SIM (its MNO-TSM manages it),
 * `android-ese` in the handset's embedded SE (eSE, named by its SEID; the SE-management TSM manages it and the SIM
 * carries only the number). Only they may ask for the phone signing certificate.
 */
export const ANDROID_HANDSETS = ['android', 'android-ese'] as const;
/** iPhones by method ① (`ca-generated`) or ② (`device-key`), docs/IPHONE-METHODS.md: the Secure Enclave holds the key. */
export const IPHONE_HANDSETS = ['iphone-method-1', 'iphone-method-2'] as const;
export const HANDSETS = [...ANDROID_HANDSETS, ...IPHONE_HANDSETS] as const;
export const SIM_GENERATIONS = ['5g', 'legacy'] as const;
export const KEY_MODES = ['on-card', 'delivered'] as const;

const duration = z.string().regex(/^\d+(\.\d+)?(ms|s|m|h)$/, { error: 'a duration like 500ms, 30s, 5m or 1h' });
const share = z.number().min(0, { error: 'a share is a percentage from 0 to 100' }).max(100, { error: 'a share is a percentage from 0 to 100' });
const shares = <K extends string>(keys: readonly K[]) => z.partialRecord(z.enum(keys as [K, ...K[]]), share);

const population = z
  .object({
    citizens: z.int().min(1, { error: 'at least one citizen' }).describe('how many citizens enroll (`--subscribers N` overrides it)'),
    operators: z.record(z.string(), share).describe(`share of citizens per carrier or MVNO in % (${OPERATORS.join(', ')}); sums to 100`),
    simGenerations: shares(SIM_GENERATIONS).optional().describe('share of SIMs per generation in %: legacy SIMs cannot host the JPKI applet; default 5g 100'),
    handsets: shares(HANDSETS)
      .optional()
      .describe(
        "share of handsets per kind in %: android (the JPKI applet on the carrier's SIM), android-ese (the applet in the handset's embedded SE, managed by the SE-management TSM; the SIM carries only the number), iphone-method-1 / iphone-method-2 (the Secure Enclave, method ① or ②); default android 100",
      ),
    keyModes: shares(KEY_MODES).optional().describe('share of enrollments per key mode in %; default half each'),
    signingCertificates: share
      .optional()
      .describe('share in % of the android and android-ese on-card enrollments that also ask for the phone signing certificate (スマホ用署名用電子証明書, its own password); default 0'),
  })
  .strict();

const arrivals = z
  .object({
    rate: z.number().positive({ error: 'the arrival rate must be above 0 (citizens per second)' }).optional().describe('citizens starting an enrollment per second'),
    stages: z
      .array(z.object({ duration, target: z.number().min(0, { error: 'a stage target is a rate of 0 or more per second' }) }).strict())
      .min(1)
      .optional()
      .describe('k6-style: the rate moves linearly to each target over the stage duration, from 0'),
  })
  .strict();

const events = z
  .partialRecord(z.enum([...SUPPORTED_EVENTS, ...CLOCK_CONSEQUENCES]), z.number().min(0, { error: 'an event weight is 0 or more' }))
  .describe(
    'per enrolled phone: bank-login and ticket-gate-* are mean counts; e-application a mean count per phone holding a signing certificate (population.signingCertificates); loss, card-revocation, card-renewal, msisdn-change, contract-end, sim-swap, device-change, device-change-across-carriers and address-change shares of phones (0-1; the carrier flows only among android phones, whose applet is on the SIM); found a share of lost phones (0-1)',
  );

const otaOverride = z
  .object({
    latencyMs: z.int().min(0).max(60_000).optional(),
    loss: z.number().min(0).max(1).optional(),
  })
  .strict();

const fault = z
  .object({
    at: duration.describe('simulated time from the start of the event mix'),
    kill: z.string().optional().describe('a service (every instance) is SIGKILLed, restarted after `down`'),
    'carrier-outage': z.string().optional().describe("a carrier's MNO-TSM is down for `down`"),
    'ota-degradation': z.string().optional().describe("a carrier's OTA bearer is degraded for `down`: `latencyMs` (default 1500) and `loss` (default 0.3)"),
    latencyMs: z.int().min(0).max(60_000).optional().describe('an OTA degradation: the transit time (ms)'),
    loss: z.number().min(0).max(1).optional().describe('an OTA degradation: the share of messages lost each way'),
    restart: z.enum(['broker', 'database']).optional().describe('the local Kafka broker or PostgreSQL cluster restarts (disturbs every other user of it)'),
    down: duration.optional(),
  })
  .strict();

const clock = z
  .object({
    phoneCertificateDays: z
      .int()
      .min(1)
      .max(2000)
      .optional()
      .describe("the CA's cap on a phone certificate's validity in days (PHONE_CERTIFICATE_MAX_DAYS), so that renewal has something to extend; default: the card certificate's end"),
    moves: z
      .array(
        z
          .object({
            advanceDays: z.number().positive({ error: 'the simulation clock only moves forward' }).max(3650),
            expect: z.enum(CLOCK_CONSEQUENCES).describe('certificate-renewal: every good SIM phone certificate is renewed on the same applet and logs in; certificate-expiry: every phone whose certificate ran out is refused (CERTIFICATE_EXPIRED)'),
          })
          .strict(),
      )
      .min(1),
  })
  .strict()
  .describe("after the event mix, the environment's simulation clock moves forward (lifecycle POST /clock), and every phone still holding a good certificate is checked for what the move must do to it");

const thresholds = z
  .object({
    enrollP99Ms: z.number().positive().optional().describe('p99 of enrollment latency (ms) at most'),
    lost: z.int().min(0).optional().describe('accepted work missing from the services afterwards, at most'),
    failureRate: z.number().min(0).max(1).optional().describe('share of operations with an unexpected outcome, at most'),
  })
  .strict();

export const scenarioSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9-]+$/, { error: 'lower-case letters, digits and dashes' }),
    description: z.string().optional(),
    seed: z.int().describe('same seed and scenario: same population, same events in the same order'),
    duration: duration.describe('simulated time over which the event mix is spread'),
    concurrency: z.int().min(1).optional().describe('operations in flight at once (default 4)'),
    population,
    arrivals,
    events: events.optional(),
    ota: z.record(z.string(), otaOverride).optional().describe(`OTA bearer latency/loss per carrier (${CARRIERS.join(', ')})`),
    faults: z.array(fault).optional(),
    clock: clock.optional(),
    thresholds: thresholds.optional(),
  })
  .strict();

export type Scenario = z.infer<typeof scenarioSchema>;
export type ScenarioFault = z.infer<typeof fault>;

/** A problem found in a scenario: where (path into the document) and why. `atKey` points at the key rather than its value. */
export interface ScenarioIssue {
  path: (string | number)[];
  message: string;
  atKey?: boolean;
}


const sum = (o: Record<string, number | undefined> = {}) => Object.values(o).reduce<number>((a, b) => a + (b ?? 0), 0);

/** The checks beyond the schema, run only on a document the schema accepts. */
export function semanticChecks(s: Scenario): ScenarioIssue[] {
  const issues: ScenarioIssue[] = [];
  for (const key of Object.keys(s.population.operators).filter((k) => !OPERATORS.includes(k))) {
    issues.push({ path: ['population', 'operators', key], atKey: true, message: `unknown carrier or MVNO "${key}" (known: ${OPERATORS.join(', ')})` });
  }
  for (const [field, values] of Object.entries({ operators: s.population.operators, simGenerations: s.population.simGenerations, handsets: s.population.handsets, keyModes: s.population.keyModes })) {
    if (values && Math.abs(sum(values) - 100) > 1e-9) issues.push({ path: ['population', field], atKey: true, message: `shares sum to ${sum(values)} %, not 100 %` });
  }
  for (const [kind, value] of Object.entries(s.events ?? {})) {
    if ((CLOCK_CONSEQUENCES as readonly string[]).includes(kind) && (value ?? 0) > 0) {
      issues.push({ path: ['events', kind], atKey: true, message: `"${kind}" is not an event of one phone: the simulation clock moves every phone of the environment at once; use a clock move (clock.moves: [{ advanceDays, expect: ${kind} }])` });
    }
  }
  for (const kind of SHARE_EVENTS) {
    if ((s.events?.[kind] ?? 0) > 1) issues.push({ path: ['events', kind], message: `"${kind}" is a share of phones from 0 to 1` });
  }
  issues.push(...signingIssues(s));
  if ((s.arrivals.rate === undefined) === (s.arrivals.stages === undefined)) issues.push({ path: ['arrivals'], atKey: true, message: 'arrivals need either a rate or stages' });
  for (const key of Object.keys(s.ota ?? {}).filter((k) => !(CARRIERS as readonly string[]).includes(k))) {
    issues.push({ path: ['ota', key], atKey: true, message: `unknown carrier "${key}" (OTA overrides are per carrier: ${CARRIERS.join(', ')})` });
  }
  (s.faults ?? []).forEach((f, i) => issues.push(...faultIssues(f, i)));
  return issues;
}

/** A phone signing certificate is issued to android and android-ese on-card enrollments only; an e-application needs one. */
function signingIssues(s: Scenario): ScenarioIssue[] {
  const signing = s.population.signingCertificates ?? 0;
  const handsets = s.population.handsets ?? { android: 100 };
  const android = ANDROID_HANDSETS.reduce((a, h) => a + (handsets[h] ?? 0), 0);
  const onCard = s.population.keyModes?.['on-card'] ?? (s.population.keyModes ? 0 : 50);
  if (signing > 0 && (android === 0 || onCard === 0)) {
    const none = android === 0 ? 'no android or android-ese handsets (population.handsets)' : 'no on-card enrollments (population.keyModes.on-card is 0)';
    return [{ path: ['population', 'signingCertificates'], message: `a phone signing certificate is issued to android and android-ese on-card enrollments only, and the population has ${none}` }];
  }
  if ((s.events?.['e-application'] ?? 0) > 0 && signing === 0) {
    return [{ path: ['events', 'e-application'], atKey: true, message: '"e-application" is signed with the phone signing certificate: give population.signingCertificates above 0 %' }];
  }
  return [];
}

function faultIssues(f: ScenarioFault, i: number): ScenarioIssue[] {
  const at = (field: string) => ['faults', i, field];
  const kinds = (['kill', 'carrier-outage', 'ota-degradation', 'restart'] as const).filter((k) => f[k] !== undefined);
  if (kinds.length !== 1) return [{ path: ['faults', i], message: 'a fault is exactly one of kill, carrier-outage, ota-degradation or restart' }];
  if (kinds[0] !== 'ota-degradation' && (f.latencyMs !== undefined || f.loss !== undefined)) {
    return [{ path: ['faults', i], message: 'latencyMs and loss belong to an ota-degradation fault' }];
  }
  if (f.kill !== undefined && !PLATFORM_SERVICES.includes(f.kill as (typeof PLATFORM_SERVICES)[number])) {
    return [{ path: at('kill'), message: `no service "${f.kill}" in the platform (services: ${PLATFORM_SERVICES.join(', ')})` }];
  }
  for (const kind of ['carrier-outage', 'ota-degradation'] as const) {
    const carrier = f[kind];
    if (carrier !== undefined && !(CARRIERS as readonly string[]).includes(carrier)) return [{ path: at(kind), message: `unknown carrier "${carrier}" (${CARRIERS.join(', ')})` }];
  }
  if (f.restart === undefined && f.down === undefined) return [{ path: ['faults', i], message: `a ${kinds[0]} fault needs "down" (how long it lasts)` }];
  return [];
}

/** Milliseconds of a duration the schema accepted. */
export function durationMs(d: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(d);
  if (!m) throw new Error(`not a duration: ${d}`);
  return Math.round(Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h']);
}

/** The published JSON Schema (scenarios/scenario.schema.json), generated from `scenarioSchema`. */
export function scenarioJsonSchema(): string {
  const schema = z.toJSONSchema(scenarioSchema);
  return `${JSON.stringify({ ...schema, $id: 'https://jpki-platform.example/scenario.schema.json', title: 'JPKI platform scenario' }, null, 2)}\n`;
}
