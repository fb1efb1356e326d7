import { CARRIER_PROFILES, hostCarrierOf, type Carrier, type MvnoId } from '@jpki/contracts';
import { Random, type ScheduledFault } from '@jpki/testing';
import { ANDROID_HANDSETS, durationMs, OPERATORS, SUPPORTED_EVENTS, type CLOCK_CONSEQUENCES, type Scenario, type ScenarioFault } from './scenario-schema';

/** The planned events, and what a clock move must do to each phone afterwards (checked per phone). */
export type EventKind = 'enroll' | (typeof SUPPORTED_EVENTS)[number] | (typeof CLOCK_CONSEQUENCES)[number];
/** Events that happen at most once to a phone, to a share of the phones. */
const ONE_OFF_EVENTS = ['card-revocation', 'card-renewal', 'msisdn-change', 'contract-end', 'sim-swap', 'device-change', 'device-change-across-carriers', 'address-change'] as const;
/** A carrier's events about a SIM subscription: a phone whose applet is not on its SIM (an iPhone, an eSE phone) is never chosen for them. */
const SIM_ONLY_EVENTS: readonly string[] = ['msisdn-change', 'contract-end', 'sim-swap', 'device-change-across-carriers'];
/** A SIM phone: its applet on the SIM, so that the SIM's generation and the carrier's SIM flows concern it. */
const isSimPhone = (handset: string) => handset === 'android';

export interface PlannedCitizen {
  index: number;
  operator: Carrier | MvnoId;
  carrier: Carrier;
  /** The carrier's SIM generation (a legacy one cannot host the JPKI applet: its enrollment is refused, as expected). */
  generation: string;
  legacySim: boolean;
  keyMode: 'on-card' | 'delivered';
  handset: string;
  /** An android or android-ese on-card enrollment that also asks for the phone signing certificate (population.signingCertificates). */
  signingCertificate: boolean;
  arrivalMs: number;
}

export interface PlannedEvent {
  seq: number;
  atMs: number;
  citizen: number;
  kind: EventKind;
  /** A device change across carriers: the operator of the new phone (another host carrier). */
  toOperator?: Carrier | MvnoId;
}

export interface PlannedFault {
  atMs: number;
  fault: ScheduledFault;
}

export interface Plan {
  citizens: PlannedCitizen[];
  /** In simulated order: by time, then by sequence number. */
  events: PlannedEvent[];
  faults: PlannedFault[];
  durationMs: number;
}

/** The same scenario and seed always give the same plan: population, events and their simulated order. */
export function planScenario(s: Scenario): Plan {
  const random = new Random(s.seed);
  const n = s.population.citizens;
  const operators = allocate(random, n, s.population.operators) as (Carrier | MvnoId)[];
  const generations = allocate(random, n, s.population.simGenerations ?? { '5g': 100 });
  const keyModes = allocate(random, n, s.population.keyModes ?? { 'on-card': 50, delivered: 50 }) as PlannedCitizen['keyMode'][];
  const handsets = allocate(random, n, s.population.handsets ?? { android: 100 });
  const arrivals = arrivalTimes(s, n);
  const signing = signingCertificates(random, s, handsets, keyModes);
  const citizens = operators.map((operator, index) => {
    const carrier = hostCarrierOf(operator);
    const legacySim = generations[index] === 'legacy' && isSimPhone(handsets[index]);
    const signingCertificate = signing.has(index);
    return { index, operator, carrier, generation: simGeneration(carrier, generations[index]), legacySim, keyMode: keyModes[index], handset: handsets[index], signingCertificate, arrivalMs: arrivals[index] };
  });
  const total = durationMs(s.duration);
  const everyone = citizens.map((c) => c.index);
  const simPhones = citizens.filter((c) => isSimPhone(c.handset)).map((c) => c.index);
  const lost = pickShare(random, everyone, s.events?.loss ?? 0);
  const oneOff = Object.fromEntries(ONE_OFF_EVENTS.map((kind) => [kind, pickShare(random, SIM_ONLY_EVENTS.includes(kind) ? simPhones : everyone, s.events?.[kind] ?? 0)])) as Record<
    (typeof ONE_OFF_EVENTS)[number],
    Set<number>
  >;
  const picked = { lost, found: pickShare(random, [...lost], s.events?.found ?? 0), oneOff };
  const events: Omit<PlannedEvent, 'seq'>[] = citizens.flatMap((c) => eventsOf(random, s, c, total, picked));
  events.sort((a, b) => a.atMs - b.atMs || a.citizen - b.citizen);
  return {
    citizens,
    events: events.map((e, seq) => ({ ...e, seq })),
    faults: (s.faults ?? []).map((f) => ({ atMs: durationMs(f.at), fault: scheduledFault(f) })).sort((a, b) => a.atMs - b.atMs),
    durationMs: total,
  };
}

/**
 * Which android and android-ese on-card enrollments also ask for the phone signing certificate: the share of them, an exact count as
 * for the other shares, chosen by the seed. Nothing is drawn without a share (older plans stay as they were).
 */
function signingCertificates(random: Random, s: Scenario, handsets: string[], keyModes: string[]): Set<number> {
  const share = s.population.signingCertificates ?? 0;
  const eligible = handsets.flatMap((h, i) => ((ANDROID_HANDSETS as readonly string[]).includes(h) && keyModes[i] === 'on-card' ? [i] : []));
  if (share <= 0 || eligible.length === 0) return new Set();
  const asks = allocate(random, eligible.length, { yes: share, no: 100 - share });
  return new Set(eligible.filter((_, k) => asks[k] === 'yes'));
}

/** Exact counts by largest remainder, then shuffled: small populations still get every share that is due. */
function allocate(random: Random, n: number, shares: Partial<Record<string, number>>): string[] {
  const entries = Object.entries(shares).filter(([, v]) => (v ?? 0) > 0) as [string, number][];
  const exact = entries.map(([k, v]) => ({ k, whole: Math.floor((n * v) / 100), rest: (n * v) / 100 - Math.floor((n * v) / 100) }));
  let missing = n - exact.reduce((a, e) => a + e.whole, 0);
  for (const e of [...exact].sort((a, b) => b.rest - a.rest)) if (missing-- > 0) e.whole += 1;
  const out = exact.flatMap((e) => Array<string>(e.whole).fill(e.k));
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random.next() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

function simGeneration(carrier: Carrier, kind: string): string {
  const names = Object.keys(CARRIER_PROFILES[carrier].simGenerations);
  return names.find((g) => g.endsWith(`-${kind}`)) ?? names[0];
}

/** Arrival offsets: evenly at a constant rate, or following k6-style stages (the rate ramps linearly to each target). */
export function arrivalTimes(s: Scenario, n: number): number[] {
  if (s.arrivals.rate !== undefined) return Array.from({ length: n }, (_, i) => Math.round((i * 1000) / s.arrivals.rate!));
  const stages = s.arrivals.stages ?? [];
  const out: number[] = [];
  const stepMs = 10;
  let t = 0;
  let arrived = 0;
  let from = 0;
  for (const stage of stages) {
    const length = durationMs(stage.duration);
    for (let dt = 0; dt < length && out.length < n; dt += stepMs, t += stepMs) {
      arrived += ((from + ((stage.target - from) * dt) / length) * stepMs) / 1000;
      while (out.length < n && arrived >= out.length) out.push(t);
    }
    from = stage.target;
  }
  if (out.length < n && from <= 0) throw new Error(`arrivals.stages end after ${out.length} of ${n} citizens arrived: end on a rate above 0 or add a stage`);
  while (out.length < n) out.push(Math.round(t + ((out.length - arrived + 1) * 1000) / from));
  return out;
}

/** Exactly the share (rounded) of the given citizens, chosen by the seed. */
function pickShare(random: Random, citizens: number[], share: number): Set<number> {
  const pool = [...citizens];
  const chosen = new Set<number>();
  for (let k = Math.round(share * citizens.length); k > 0 && pool.length > 0; k--) chosen.add(pool.splice(Math.floor(random.next() * pool.length), 1)[0]);
  return chosen;
}

/** A citizen's events after enrolling, spread over the rest of the run: logins and gate passes, maybe a loss (and a find), maybe a card's or a carrier's change, an address change, a new phone; e-applications signed on a phone with a signing certificate. */
function eventsOf(random: Random, s: Scenario, c: PlannedCitizen, total: number, picked: { lost: Set<number>; found: Set<number>; oneOff: Record<(typeof ONE_OFF_EVENTS)[number], Set<number>> }): Omit<PlannedEvent, 'seq'>[] {
  const mix = s.events ?? {};
  const end = Math.max(total, c.arrivalMs + 1000);
  const within = (from: number) => Math.round(from + 1 + random.next() * (end - from));
  const times = (mean = 0) => Math.floor(mean) + (random.next() < mean - Math.floor(mean) ? 1 : 0);
  const out: Omit<PlannedEvent, 'seq'>[] = [{ atMs: c.arrivalMs, citizen: c.index, kind: 'enroll' }];
  for (const kind of ['bank-login', 'ticket-gate-online', 'ticket-gate-offline'] as const) {
    for (let i = times(mix[kind]); i > 0; i--) out.push({ atMs: within(c.arrivalMs), citizen: c.index, kind });
  }
  if (picked.lost.has(c.index)) {
    const lostAt = within(c.arrivalMs);
    out.push({ atMs: lostAt, citizen: c.index, kind: 'loss' });
    if (picked.found.has(c.index)) out.push({ atMs: within(lostAt) + 1, citizen: c.index, kind: 'found' });
  }
  for (const kind of ONE_OFF_EVENTS) {
    if (!picked.oneOff[kind].has(c.index)) continue;
    const toOperator = kind === 'device-change-across-carriers' ? random.pick((OPERATORS as (Carrier | MvnoId)[]).filter((o) => hostCarrierOf(o) !== c.carrier)) : undefined;
    out.push({ atMs: within(c.arrivalMs), citizen: c.index, kind, ...(toOperator ? { toOperator } : {}) });
  }
  // Drawn only for a phone with a signing certificate: plans without one stay as they were.
  if (c.signingCertificate) for (let i = times(mix['e-application']); i > 0; i--) out.push({ atMs: within(c.arrivalMs), citizen: c.index, kind: 'e-application' });
  return out;
}

function scheduledFault(f: ScenarioFault): ScheduledFault {
  if (f.kill) return { kind: 'kill', service: f.kill, downMs: durationMs(f.down!) };
  if (f['carrier-outage']) return { kind: 'carrier-outage', carrier: f['carrier-outage'] as Carrier, downMs: durationMs(f.down!) };
  if (f['ota-degradation']) return { kind: 'ota-degradation', carrier: f['ota-degradation'] as Carrier, downMs: durationMs(f.down!), latencyMs: f.latencyMs, lossRate: f.loss };
  return { kind: f.restart === 'broker' ? 'broker-restart' : 'postgres-restart' };
}
