import { randomBytes } from 'node:crypto';
import {
  BankClient,
  createSubscriber,
  createTestCitizen,
  HttpJson,
  JpkiUiApp,
  outcomeOfError,
  pollUntil,
  RelyingPartyVerifier,
  retrying,
  simChallengeSigner,
  TicketingClient,
  type PlatformEndpoints,
  type Subscriber,
  type TestCitizen,
} from '@jpki/jpki-client';
import type { AcceptedWork } from '@jpki/operations';
import type { EventKind, PlannedCitizen, PlannedEvent } from './plan';

const PIN = '2580';
const TICKETED_EVENT = 'scenario-concert';
export const GATES = { 'ticket-gate-online': 'scenario-gate-online', 'ticket-gate-offline': 'scenario-gate-offline' } as const;

export interface StepTiming {
  step: string;
  ms: number;
}

/** Loss report → certificate on hold at the CA (the case's certificate-hold step) → a relying party's OCSP check refuses. */
export interface RevocationPropagation {
  caHoldMs?: number;
  rpRefusalMs?: number;
}

export interface OperationRecord {
  seq: number;
  kind: EventKind;
  citizen: number;
  operator: string;
  carrier: string;
  plannedAtMs: number;
  startedAtMs: number;
  endedAtMs: number;
  ms: number;
  outcome: string;
  /** The outcome is what the platform should answer (a refused login on a lost phone is expected, an accepted one is not). */
  expected: boolean;
  correlationId?: string;
  steps?: StepTiming[];
  propagation?: RevocationPropagation;
  /** An enrollment's phone: what the platform assigned it (no secret). */
  phone?: EnrolledPhone;
}

export interface EnrolledPhone {
  keyMode: string;
  msisdn: string;
  iccid: string;
  serial: string;
  ssdSecureChannel: string;
}

interface PhoneState {
  citizen?: TestCitizen;
  subscriber?: Subscriber;
  serial?: string;
  lost: boolean;
  revoked: boolean;
}

/** The platform operations a scenario's events stand for, over the services' public APIs; one phone state per citizen. */
export class ScenarioOperations {
  readonly accepted: AcceptedWork = { enrollments: [], cases: [] };
  private readonly phones = new Map<number, PhoneState>();

  constructor(
    private readonly e: PlatformEndpoints,
    private readonly token: string,
    private readonly startedAt: number,
  ) {}

  /** The relying party's gates for the ticket events, online (OCSP) and offline (cached CRL). */
  async prepareGates(): Promise<void> {
    const ticketing = new TicketingClient(this.e.rpTicketing, this.token);
    await retrying(() => ticketing.configureGate(GATES['ticket-gate-online'], { eventId: TICKETED_EVENT, mode: 'online' }));
    await retrying(() => ticketing.configureGate(GATES['ticket-gate-offline'], { eventId: TICKETED_EVENT, mode: 'offline', crlMaxAgeSeconds: 900 }));
  }

  async run(event: PlannedEvent, c: PlannedCitizen): Promise<OperationRecord> {
    const phone = this.phones.get(c.index) ?? { lost: false, revoked: false };
    this.phones.set(c.index, phone);
    const started = Date.now();
    const result = await this.perform(event.kind, c, phone).catch((err: unknown) => ({ outcome: outcomeOfError(err), expected: false }));
    const ended = Date.now();
    return {
      seq: event.seq,
      kind: event.kind,
      citizen: c.index,
      operator: c.operator,
      carrier: c.carrier,
      plannedAtMs: event.atMs,
      startedAtMs: started - this.startedAt,
      endedAtMs: ended - this.startedAt,
      ms: ended - started,
      ...result,
    };
  }

  private perform(kind: EventKind, c: PlannedCitizen, phone: PhoneState): Promise<Outcome> {
    if (kind === 'enroll') return this.enroll(c, phone);
    if (!phone.serial || !phone.subscriber) return Promise.resolve({ outcome: 'skipped:not-enrolled', expected: c.legacySim });
    if (phone.revoked && kind !== 'bank-login' && !kind.startsWith('ticket-gate')) return Promise.resolve({ outcome: 'skipped:certificate-revoked', expected: true });
    switch (kind) {
      case 'bank-login':
        return this.holderCheck(phone, () => new BankClient(this.e.rpBank).login(simChallengeSigner(this.e, phone.subscriber!.handset, PIN)));
      case 'ticket-gate-online':
        return this.holderCheck(phone, () => this.passGate(GATES[kind], phone));
      case 'ticket-gate-offline':
        return this.offlineGate(phone);
      case 'loss':
        return this.loss(phone);
      case 'found':
        return this.reportCase(phone, '/found-reports', false).then(({ caseOpenedAt: _, ...outcome }) => outcome);
      case 'card-revocation':
        return this.revokeCard(phone);
      case 'msisdn-change':
        return this.changeMsisdn(c, phone);
      case 'contract-end':
      case 'sim-swap':
        return this.endService(kind, c, phone);
    }
  }

  private async enroll(c: PlannedCitizen, phone: PhoneState): Promise<Outcome> {
    phone.citizen = await retrying(() => createTestCitizen(this.e, this.token));
    phone.subscriber = await retrying(() => createSubscriber(this.e, this.token, c.operator, c.generation));
    const app = new JpkiUiApp(this.e);
    const requestedAt = Date.now();
    const started = await retrying(() =>
      app.startEnrollment({ card: phone.citizen!.card, signingPassword: phone.citizen!.signingPassword, msisdn: phone.subscriber!.msisdn, operator: c.operator, keyMode: c.keyMode }),
    );
    this.accepted.enrollments.push(started.enrollmentId);
    const done = await pollUntil(`enrollment ${started.enrollmentId}`, () => retrying(() => app.enrollment(started.enrollmentId)), (v) => v.status === 'completed' || v.status === 'failed');
    const steps = stepTimings(done.history, requestedAt);
    if (done.status !== 'completed' || !done.serial) return { outcome: `failed:${done.failure?.reason ?? done.status}`, expected: c.legacySim, correlationId: done.enrollmentId, steps };
    await retrying(() => app.setPhonePin(phone.subscriber!.handset, PIN));
    phone.serial = done.serial;
    const enrolled = { keyMode: c.keyMode, msisdn: phone.subscriber.msisdn, iccid: phone.subscriber.iccid, serial: done.serial, ssdSecureChannel: await this.ssdSecureChannel(phone.subscriber.iccid) };
    return { outcome: 'completed', expected: !c.legacySim, correlationId: done.enrollmentId, steps, phone: enrolled };
  }

  /** The SP's security domain as the card reports it: AES key length and SCP03 S8/S16 mode. */
  private async ssdSecureChannel(iccid: string): Promise<string> {
    const sim = await retrying(() => new HttpJson(this.e.vsim, this.token).get<SimView>(`/sims/${iccid}`));
    const ssd = sim.card.registry.find((r) => r.kind === 'SSD');
    return ssd?.scp03 ? `AES-${ssd.keysets?.[0]?.keyBits ?? '?'} ${ssd.scp03.mode}` : '-';
  }

  /** A relying party checks the phone: accepted while its certificate is good, refused once it is lost or revoked. */
  private async holderCheck(phone: PhoneState, check: () => Promise<unknown>): Promise<Outcome> {
    const mustRefuse = phone.lost || phone.revoked;
    try {
      await retrying(check);
      return mustRefuse ? { outcome: 'unexpected:accepted-while-not-good', expected: false } : { outcome: 'ok', expected: true };
    } catch (err) {
      const outcome = outcomeOfError(err);
      return { outcome: mustRefuse ? `refused-as-expected` : outcome, expected: mustRefuse && outcome.startsWith('refused:') };
    }
  }

  /** An offline gate checks a cached CRL: a phone lost or revoked since its last refresh may still pass, within the CRL's freshness limit. */
  private async offlineGate(phone: PhoneState): Promise<Outcome> {
    const result = await this.holderCheck(phone, () => this.passGate(GATES['ticket-gate-offline'], phone));
    return result.outcome.startsWith('unexpected:') ? { outcome: 'accepted-on-cached-crl', expected: true } : result;
  }

  private async passGate(gateId: string, phone: PhoneState): Promise<unknown> {
    const ticketing = new TicketingClient(this.e.rpTicketing, this.token);
    const sign = simChallengeSigner(this.e, phone.subscriber!.handset, PIN);
    const ticket = await ticketing.buy(TICKETED_EVENT, sign);
    return ticketing.enter(gateId, sign, { ticketId: ticket.ticketId });
  }

  /** A loss report, with how fast it reaches the CA and a relying party (an answer signed before the report, checked until refused). */
  private async loss(phone: PhoneState): Promise<Outcome> {
    const challenge = randomBytes(32);
    const answer = await retrying(() => new JpkiUiApp(this.e).signChallenge(phone.subscriber!.handset, PIN, challenge));
    const reportedAt = Date.now();
    const verifier = new RelyingPartyVerifier(this.e.ca);
    const refused = pollUntil('relying-party refusal', () => retrying(() => verifier.verifyLogin(challenge, answer.signature, answer.certificate)), (r) => !r.ok, 120_000).then(
      () => Date.now() - reportedAt,
      () => undefined,
    );
    const { caseOpenedAt, ...outcome } = await this.reportCase(phone, '/loss-reports', true);
    const caHold = outcome.steps?.find((s) => s.step === 'certificate-hold');
    return { ...outcome, propagation: { caHoldMs: caHold && caseOpenedAt ? caseOpenedAt - reportedAt + caHold.ms : undefined, rpRefusalMs: await refused } };
  }

  private async reportCase(phone: PhoneState, path: string, lost: boolean): Promise<Outcome & { caseOpenedAt?: number }> {
    const api = new HttpJson(this.e.lifecycle, this.token);
    const opened = await retrying(() => api.post<{ caseId: string; openedAt: string }>(path, { serial: phone.serial, reason: 'scenario' }));
    this.accepted.cases.push(opened.caseId);
    // A case waiting for the device has done what it can now (the rest runs when the SIM comes back).
    const done = await pollUntil(`case ${opened.caseId}`, () => retrying(() => api.get<CaseView>(`/cases/${opened.caseId}`)), (v) => v.status !== 'open');
    if (done.status !== 'failed') phone.lost = lost;
    const openedAt = Date.parse(opened.openedAt);
    return { outcome: done.status, expected: done.status !== 'failed', correlationId: opened.caseId, steps: stepTimings(done.saga?.history ?? [], openedAt), caseOpenedAt: openedAt };
  }

  /** The carrier gives the subscriber a new number: the phone and its certificate stay as they are. */
  private async changeMsisdn(c: PlannedCitizen, phone: PhoneState): Promise<Outcome> {
    const changed = await retrying(() => new HttpJson(this.e.mno[c.carrier], this.token).post<{ msisdn: string }>(`/subscribers/${encodeURIComponent(phone.subscriber!.msisdn)}/msisdn-change`, {}));
    phone.subscriber = { ...phone.subscriber!, msisdn: changed.msisdn };
    return { outcome: 'changed', expected: true };
  }

  /** A contract end or a SIM swap at the carrier: the lifecycle service revokes the phone certificate in a case of that kind. */
  private async endService(kind: 'contract-end' | 'sim-swap', c: PlannedCitizen, phone: PhoneState): Promise<Outcome> {
    const path = `/subscribers/${encodeURIComponent(phone.subscriber!.msisdn)}/${kind}`;
    await retrying(() => new HttpJson(this.e.mno[c.carrier], this.token).post(path, kind === 'contract-end' ? { note: 'scenario' } : {}));
    const lifecycle = new HttpJson(this.e.lifecycle, this.token);
    const [done] = await pollUntil(
      `${kind} case of ${phone.serial}`,
      () => retrying(() => lifecycle.get<(CaseView & { caseId: string })[]>(`/cases?serial=${phone.serial}&kind=${kind}`)),
      (cases) => cases.some((x) => x.status !== 'open'),
    );
    phone.revoked = true;
    const view = await retrying(() => lifecycle.get<CaseView & { caseId: string; openedAt: string }>(`/cases/${done.caseId}`));
    return { outcome: view.status, expected: view.status !== 'failed', correlationId: view.caseId, steps: stepTimings(view.saga?.history ?? [], Date.parse(view.openedAt)) };
  }

  private async revokeCard(phone: PhoneState): Promise<Outcome> {
    await retrying(() => new HttpJson(this.e.ca, this.token).post(`/citizens/${phone.citizen!.personId}/card/revocation`, { certificates: 'both', reason: 'keyCompromise', comment: 'scenario' }));
    phone.revoked = true;
    return { outcome: 'revoked', expected: true, correlationId: phone.citizen!.personId };
  }
}

interface Outcome {
  outcome: string;
  expected: boolean;
  correlationId?: string;
  steps?: StepTiming[];
  propagation?: RevocationPropagation;
  phone?: EnrolledPhone;
}

interface SimView {
  card: { registry: { kind: string; scp03?: { mode: string }; keysets?: { keyBits: number }[] }[] };
}

interface CaseView {
  status: string;
  saga?: { history: { at: string; step: string | null }[] };
}

/** How long each saga step took, from the saga's own history (the services' clocks). */
function stepTimings(history: { at: string; step: string | null }[], startedAt: number): StepTiming[] {
  let previous = startedAt;
  return history.flatMap((h) => {
    const at = Date.parse(h.at);
    const ms = Number.isFinite(previous) ? at - previous : 0;
    previous = at;
    return h.step ? [{ step: h.step, ms }] : [];
  });
}
