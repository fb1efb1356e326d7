import { randomBytes } from 'node:crypto';
import { VirtualMyNumberCard } from '@jpki/mynumber-card';
import { hostCarrierOf, type Carrier, type IphoneMethod, type MvnoId } from '@jpki/contracts';
import { SwError } from '@jpki/globalplatform';
import type { SimulatedAttestationAuthority } from '@jpki/iphone-device';
import {
  ApiError,
  BankClient,
  createEsePhone,
  createSubscriber,
  createTestCitizen,
  enrollIphone,
  HttpJson,
  JpkiUiApp,
  outcomeOfError,
  pollUntil,
  refusalOf,
  RelyingPartyVerifier,
  retrying,
  simChallengeSigner,
  THROUGH_FAULTS_TIMEOUT_MS,
  TicketingClient,
  type ChallengeSigner,
  type Handset,
  type PlatformEndpoints,
  type Subscriber,
  type TestCitizen,
} from '@jpki/jpki-client';
import type { PhoneView } from '@jpki/contracts';
import type { AcceptedWork } from '@jpki/operations';
import type { EventKind, PlannedCitizen, PlannedEvent } from './plan';

const PIN = '2580';
/** The holder's password for the phone signing certificate (6–16 upper-case letters and digits), typed at every signature. */
const PHONE_SIGNING_PASSWORD = 'SIGN2026PASS';
/** The municipality records the holder's move (a basic-information change): every signing certificate carries the old address. */
const NEW_ADDRESS = { address: '大阪府大阪市北区中之島１丁目３番２０号', prefecture: 'Osaka-fu', municipality: 'Osaka-shi', comment: 'scenario' };
/**
 * A relying party learns a status change by OCSP, and by a CRL it keeps up to 60 s (rp-eapplication's
 * SIGNING_CRL_MAX_AGE_SECONDS): an e-application is tried again until the expected answer, this long at most.
 */
const E_APPLICATION_SETTLE_MS = 75_000;
/** The credentials the holder chooses for a renewed card at the municipal window. */
const RENEWED_CARD = { signingPassword: 'RENEWED2031', userAuthenticationPin: '8642' };
/** iPhone methods, docs/IPHONE-METHODS.md: ① the CA generates the key and seals it to the enclave, ② the enclave generates it. */
const IPHONE_METHODS: Record<string, IphoneMethod> = { 'iphone-method-1': 'ca-generated', 'iphone-method-2': 'device-key' };
const TICKETED_EVENT = 'scenario-concert';
/** The offline gate's CRL may be 15 minutes old; the venue syncs it while connected every 5 minutes. */
const OFFLINE_CRL_MAX_AGE_S = 900;
const OFFLINE_GATE_SYNC_MS = 300_000;
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

/** A SIM phone's MSISDN, ICCID and SP domain mode, an eSE phone's MSISDN, SEID and SP domain mode, or an iPhone's device id; the key mode is an iPhone's method. */
export interface EnrolledPhone {
  handset: string;
  keyMode: string;
  serial: string;
  /** The phone signing certificate's serial, when the enrollment asked for it. */
  signingSerial?: string;
  msisdn?: string;
  iccid?: string;
  seid?: string;
  ssdSecureChannel?: string;
  deviceId?: string;
}

/**
 * A phone whose applet is on a secure element: the SIM of its subscription, or (with `seid`) the handset's eSE, its
 * SIM carrying only the number. The handset reaches the applet.
 */
interface SePhone {
  subscriber: Subscriber;
  handset: Handset;
  seid?: string;
}

/** The citizen's current phone: after a device change, the new one (possibly at another operator). */
interface PhoneState {
  citizen?: TestCitizen;
  operator: Carrier | MvnoId;
  carrier: Carrier;
  /** A SIM or eSE phone (absent for an iPhone). */
  sePhone?: SePhone;
  /** Answers a relying party's challenge: the SIM or eSE applet after the PIN, or the iPhone's enclave after Face ID. */
  sign?: ChallengeSigner;
  serial?: string;
  /** The phone signing certificate on the same secure element (population.signingCertificates). */
  signingSerial?: string;
  lost: boolean;
  revoked: boolean;
  /** An address change revoked the phone signing certificate (affiliationChanged); the user-authentication one stays good. */
  signingRevoked: boolean;
  /**
   * An address change revoked the card's signing certificate too: a new enrollment (device change) or a renewal of the
   * phone certificate needs a good one, until a card renewal issues it again.
   */
  cardSigningRevoked: boolean;
}

/** A phone holding a certificate: what every event after the enrollment acts on. */
type HeldPhone = PhoneState & { citizen: TestCitizen; serial: string; sign: ChallengeSigner };
const isHeld = (p: PhoneState): p is HeldPhone => p.citizen !== undefined && p.serial !== undefined && p.sign !== undefined;

/** The carrier flows are planned for SIM phones only. */
function simPhoneOf(phone: PhoneState): SePhone {
  if (!phone.sePhone || phone.sePhone.seid) throw new Error('a carrier flow on a phone whose applet is not on its SIM');
  return phone.sePhone;
}

/** The platform operations a scenario's events stand for, over the services' public APIs; one phone state per citizen. */
export class ScenarioOperations {
  readonly accepted: AcceptedWork = { enrollments: [], cases: [] };
  private readonly phones = new Map<number, PhoneState>();
  private offlineGateSyncedAt = 0;
  /** How far the environment's simulation clock is ahead of this machine's: clients date what they sign by it. */
  private clockOffsetMs = 0;
  /** The environment's time (what the services read), for the holder's signed applications and the judges. */
  readonly now = () => new Date(Date.now() + this.clockOffsetMs);

  constructor(
    private readonly e: PlatformEndpoints,
    private readonly token: string,
    private readonly startedAt: number,
    /** The iPhone vendor the platform's CA trusts (its attestation CA), for iPhone handsets. */
    private readonly iphoneVendor?: SimulatedAttestationAuthority,
  ) {}

  /** Citizens whose phone holds a certificate still good (not lost, not revoked): what a clock move acts on. */
  goodPhones(): number[] {
    return [...this.phones].filter(([, p]) => isHeld(p) && !p.lost && !p.revoked).map(([citizen]) => citizen);
  }

  /** Follows the environment's simulation clock (lifecycle GET /clock): a platform whose clock moved before this run. */
  async followClock(): Promise<void> {
    this.clockOffsetMs = (await retrying(() => new HttpJson(this.e.lifecycle, this.token).get<ClockView>('/clock'))).offsetMs;
  }

  /** Moves the environment's simulation clock forward (lifecycle POST /clock, integrators only); every service follows it. */
  async moveClock(advanceDays: number, reason: string): Promise<ClockView> {
    const moved = await retrying(() => new HttpJson(this.e.lifecycle, this.token).post<ClockView>('/clock', { advanceDays, reason }));
    this.clockOffsetMs = moved.offsetMs;
    return moved;
  }

  /** The relying party's gates for the ticket events, online (OCSP) and offline (cached CRL). */
  async prepareGates(): Promise<void> {
    const ticketing = new TicketingClient(this.e.rpTicketing, this.token);
    await retrying(() => ticketing.configureGate(GATES['ticket-gate-online'], { eventId: TICKETED_EVENT, mode: 'online' }));
    await retrying(() => ticketing.configureGate(GATES['ticket-gate-offline'], { eventId: TICKETED_EVENT, mode: 'offline', crlMaxAgeSeconds: OFFLINE_CRL_MAX_AGE_S }));
    this.offlineGateSyncedAt = Date.now();
  }

  async run(event: PlannedEvent, c: PlannedCitizen): Promise<OperationRecord> {
    const phone = this.phones.get(c.index) ?? { operator: c.operator, carrier: c.carrier, lost: false, revoked: false, signingRevoked: false, cardSigningRevoked: false };
    this.phones.set(c.index, phone);
    const { operator, carrier } = phone;
    const started = Date.now();
    const result = await this.perform(event, c, phone).catch((err: unknown) => ({ outcome: outcomeOfError(err), expected: false }));
    const ended = Date.now();
    return {
      seq: event.seq,
      kind: event.kind,
      citizen: c.index,
      operator,
      carrier,
      plannedAtMs: event.atMs,
      startedAtMs: started - this.startedAt,
      endedAtMs: ended - this.startedAt,
      ms: ended - started,
      ...result,
    };
  }

  private perform(event: PlannedEvent, c: PlannedCitizen, phone: PhoneState): Promise<Outcome> {
    const { kind } = event;
    if (kind === 'enroll') return this.enroll(c, phone);
    if (!isHeld(phone)) return Promise.resolve({ outcome: 'skipped:not-enrolled', expected: c.legacySim });
    if (phone.revoked && kind !== 'bank-login' && kind !== 'e-application' && !kind.startsWith('ticket-gate')) return Promise.resolve({ outcome: 'skipped:certificate-revoked', expected: true });
    switch (kind) {
      case 'certificate-renewal':
        return this.renewal(phone);
      case 'certificate-expiry':
        return this.expiry(phone);
      case 'bank-login':
        return this.holderCheck(phone, () => new BankClient(this.e.rpBank).login(phone.sign));
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
      case 'card-renewal':
        return this.renewCard(phone);
      case 'msisdn-change':
        return this.changeMsisdn(phone);
      case 'contract-end':
      case 'sim-swap':
        return this.endService(kind, phone);
      case 'device-change':
      case 'device-change-across-carriers':
        return this.changeDevice(c, phone, event.toOperator ?? phone.operator);
      case 'e-application':
        return this.eApplication(phone);
      case 'address-change':
        return this.changeAddress(phone);
    }
  }

  private async enroll(c: PlannedCitizen, phone: PhoneState): Promise<Outcome> {
    phone.citizen = await retrying(() => createTestCitizen(this.e, this.token));
    const enrolled = await this.enrollPhone(c, phone, phone.citizen, c.operator, c.generation);
    return { ...enrolled, expected: enrolled.outcome === 'completed' ? !c.legacySim : c.legacySim };
  }

  /** A new phone of the citizen's handset kind at `operator` becomes the citizen's phone once enrolled. */
  private async enrollPhone(c: PlannedCitizen, phone: PhoneState, citizen: TestCitizen, operator: Carrier | MvnoId, generation?: string): Promise<Outcome> {
    const method = IPHONE_METHODS[c.handset];
    if (method) return this.enrollIphone(phone, citizen, operator, method);
    return this.enrollSePhone(c, phone, citizen, operator, await this.newSePhone(c.handset, operator, generation));
  }

  /** A new SIM phone (a subscription, its SIM in a new handset) or a new eSE phone (its eSE made for the SE-management TSM, its number a subscription). */
  private async newSePhone(handset: string, operator: Carrier | MvnoId, generation?: string): Promise<SePhone> {
    if (handset === 'android-ese') return retrying(() => createEsePhone(this.e, this.token, operator));
    const subscriber = await retrying(() => createSubscriber(this.e, this.token, operator, generation));
    return { subscriber, handset: subscriber.handset };
  }

  /** Enrolls the applet on the phone's SIM or, naming its SEID, on its eSE; then the holder sets the PIN (and the signing password) on the handset. */
  private async enrollSePhone(c: PlannedCitizen, phone: PhoneState, citizen: TestCitizen, operator: Carrier | MvnoId, se: SePhone): Promise<Outcome> {
    const app = new JpkiUiApp(this.e, this.now);
    const requestedAt = Date.now();
    const signingCertificate = c.signingCertificate && c.keyMode === 'on-card';
    const started = await retrying(() =>
      app.startEnrollment({ card: citizen.card, signingPassword: citizen.signingPassword, msisdn: se.subscriber.msisdn, operator, keyMode: c.keyMode, seid: se.seid, ...(signingCertificate ? { signingCertificate } : {}) }),
    );
    this.accepted.enrollments.push(started.enrollmentId);
    const done = await app.waitForEnrollment(started.enrollmentId, undefined, THROUGH_FAULTS_TIMEOUT_MS);
    const steps = stepTimings(done.history, requestedAt);
    if (done.status !== 'completed' || !done.serial) return { outcome: `failed:${done.failure?.reason ?? done.status}`, expected: false, correlationId: done.enrollmentId, steps };
    if (signingCertificate && !done.signingSerial) return { outcome: 'failed:no-signing-certificate', expected: false, correlationId: done.enrollmentId, steps };
    await retrying(() => app.setPhonePin(se.handset, PIN));
    if (signingCertificate) await retrying(() => app.setPhonePin(se.handset, PHONE_SIGNING_PASSWORD, 'signing'));
    const signingSerial = signingCertificate ? done.signingSerial : undefined;
    Object.assign(phone, { operator, carrier: hostCarrierOf(operator), sePhone: se, sign: simChallengeSigner(this.e, se.handset, PIN), serial: done.serial, signingSerial, lost: false, revoked: false, signingRevoked: false });
    const enrolled = {
      handset: c.handset,
      keyMode: c.keyMode,
      serial: done.serial,
      ...(signingSerial ? { signingSerial } : {}),
      msisdn: se.subscriber.msisdn,
      ...(se.seid ? { seid: se.seid } : { iccid: se.subscriber.iccid }),
      ssdSecureChannel: await this.ssdSecureChannel(se.seid ?? se.subscriber.iccid),
    };
    return { outcome: 'completed', expected: true, correlationId: done.enrollmentId, steps, phone: enrolled };
  }

  /** A new iPhone (as tools/chaos/workload.ts enrolls them): its Secure Enclave attested by the vendor the CA trusts. */
  private async enrollIphone(phone: PhoneState, citizen: TestCitizen, operator: Carrier | MvnoId, method: IphoneMethod): Promise<Outcome> {
    if (!this.iphoneVendor) throw new Error('an iPhone handset needs the platform’s iPhone vendor (attestation CA)');
    const requestedAt = Date.now();
    const { enrollment, authenticator, iphone } = await enrollIphone(this.e, citizen, { method, vendor: this.iphoneVendor, operator, now: this.now });
    this.accepted.enrollments.push(enrollment.enrollmentId);
    const steps = stepTimings(enrollment.history, requestedAt);
    if (enrollment.status !== 'completed' || !authenticator) return { outcome: `failed:${enrollment.failure?.reason ?? enrollment.status}`, expected: false, correlationId: enrollment.enrollmentId, steps };
    Object.assign(phone, { operator, carrier: hostCarrierOf(operator), sePhone: undefined, sign: authenticator.challengeSigner(), serial: authenticator.serial, signingSerial: undefined, lost: false, revoked: false, signingRevoked: false });
    return { outcome: 'completed', expected: true, correlationId: enrollment.enrollmentId, steps, phone: { handset: `iphone (${method})`, keyMode: method, serial: authenticator.serial, deviceId: iphone.deviceId } };
  }

  /**
   * Device change (機種変更), also to another carrier: the holder enrolls a new phone with the same card; the CA
   * supersedes the old certificate and lifecycle clears the old phone in a device-change case.
   */
  private async changeDevice(c: PlannedCitizen, phone: HeldPhone, operator: Carrier | MvnoId): Promise<Outcome> {
    const oldSerial = phone.serial;
    const enrolled: Outcome = await this.enrollPhone(c, phone, phone.citizen, operator, operator === c.operator ? c.generation : undefined).catch((err: unknown) => {
      if (!phone.cardSigningRevoked) throw err;
      return { outcome: outcomeOfError(err), expected: false };
    });
    // After an address change the card's signing certificate is revoked: the CA refuses the application it signed.
    if (phone.cardSigningRevoked) {
      const refused = enrolled.outcome.endsWith(':CARD_CERTIFICATE_REVOKED');
      return { ...enrolled, outcome: refused ? 'refused-as-expected:CARD_CERTIFICATE_REVOKED' : `unexpected:${enrolled.outcome}`, expected: refused };
    }
    if (enrolled.outcome !== 'completed') return enrolled;
    const cleared = await this.settledCase(`device-change case of ${oldSerial}`, `serial=${oldSerial}&kind=device-change`);
    const steps = [...(enrolled.steps ?? []), ...(cleared.steps ?? [])];
    return { ...enrolled, outcome: cleared.expected ? 'completed' : 'failed:device-change-case', expected: cleared.expected, steps };
  }

  /** The SP's security domain as the SIM or eSE reports it (a SIM's SEID is its ICCID): AES key length and SCP03 S8/S16 mode. */
  private async ssdSecureChannel(seid: string): Promise<string> {
    const se = await retrying(() => new HttpJson(this.e.vsim, this.token).get<SeView>(`/sims/${seid}`));
    const ssd = se.card.registry.find((r) => r.kind === 'SSD');
    return ssd?.scp03 ? `AES-${ssd.keysets?.[0]?.keyBits ?? '?'} ${ssd.scp03.mode}` : '-';
  }

  /**
   * The clock entered the renewal window: lifecycle's sweep opens a renewal case, the CA re-issues for the same key and
   * the SP-TSM writes the new certificate to the same applet; the phone then logs in with it. The platform renews SIM
   * phones only (an iPhone's holder applies again; lifecycle does not renew an eSE phone yet).
   */
  private async renewal(phone: HeldPhone): Promise<Outcome> {
    const se = phone.sePhone;
    if (!se) return { outcome: 'skipped:iphone-not-renewed', expected: true };
    if (se.seid) return { outcome: 'skipped:ese-not-renewed', expected: true };
    const renewed = await this.settledCase(`renewal case of ${phone.serial}`, `serial=${phone.serial}&kind=renewal`);
    // Every issuance needs a good card signing certificate: after an address change the CA refuses the renewal.
    if (phone.cardSigningRevoked) {
      const refused = renewed.outcome === 'failed';
      return { ...renewed, outcome: refused ? 'refused-as-expected:card-signing-revoked' : `unexpected:renewal-${renewed.outcome}`, expected: refused };
    }
    if (!renewed.expected) return renewed;
    const view = await retrying(() => new HttpJson(this.e.lifecycle, this.token).get<PhoneView>(`/phones?iccid=${se.subscriber.iccid}`));
    if (view.serial === phone.serial) return { ...renewed, outcome: 'failed:serial-unchanged', expected: false };
    phone.serial = view.serial;
    const login = await this.holderCheck(phone, () => new BankClient(this.e.rpBank).login(phone.sign));
    return { ...renewed, outcome: login.expected ? 'renewed' : `failed:login-after-renewal:${login.outcome}`, expected: login.expected };
  }

  /**
   * The clock passed the certificate's notAfter (lifecycle's view says so): the bank refuses the phone with
   * CERTIFICATE_EXPIRED once its clock follows; later checks treat the phone as no longer good.
   */
  private async expiry(phone: HeldPhone): Promise<Outcome> {
    const view = await retrying(() => new HttpJson(this.e.lifecycle, this.token).get<PhoneView>(`/phones?serial=${phone.serial}`));
    if (!view.expired) return { outcome: 'skipped:not-expired', expected: true };
    const refused = await pollUntil(
      `bank refusal of expired ${phone.serial}`,
      () => new BankClient(this.e.rpBank).login(phone.sign).then(() => 'accepted', outcomeOfError),
      (outcome) => outcome !== 'accepted',
      30_000,
    ).catch(() => 'unexpected:accepted-after-expiry');
    phone.revoked = true;
    return { outcome: refused, expected: refused === 'refused:CERTIFICATE_EXPIRED' };
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

  /**
   * An offline gate checks a cached CRL: a phone lost or revoked since its last refresh may still pass, within the CRL's
   * freshness limit. The venue syncs the gate's CRL while connected, every few minutes, as a day-long run needs.
   */
  private async offlineGate(phone: HeldPhone): Promise<Outcome> {
    if (Date.now() - this.offlineGateSyncedAt > OFFLINE_GATE_SYNC_MS) {
      this.offlineGateSyncedAt = Date.now();
      await retrying(() => new TicketingClient(this.e.rpTicketing, this.token).refreshGateCrl(GATES['ticket-gate-offline']));
    }
    const result = await this.holderCheck(phone, () => this.passGate(GATES['ticket-gate-offline'], phone));
    return result.outcome.startsWith('unexpected:') ? { outcome: 'accepted-on-cached-crl', expected: true } : result;
  }

  private async passGate(gateId: string, phone: HeldPhone): Promise<unknown> {
    const ticketing = new TicketingClient(this.e.rpTicketing, this.token);
    const ticket = await ticketing.buy(TICKETED_EVENT, phone.sign);
    return ticketing.enter(gateId, phone.sign, { ticketId: ticket.ticketId });
  }

  /** A loss report, with how fast it reaches the CA and a relying party (an answer signed before the report, checked until refused). */
  private async loss(phone: HeldPhone): Promise<Outcome> {
    const challenge = randomBytes(32);
    const answer = await retrying(() => phone.sign(challenge));
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
  private async changeMsisdn(phone: HeldPhone): Promise<Outcome> {
    const sim = simPhoneOf(phone);
    const changed = await retrying(() => new HttpJson(this.e.mno[phone.carrier], this.token).post<{ msisdn: string }>(`/subscribers/${encodeURIComponent(sim.subscriber.msisdn)}/msisdn-change`, {}));
    sim.subscriber = { ...sim.subscriber, msisdn: changed.msisdn };
    return { outcome: 'changed', expected: true };
  }

  /** A contract end or a SIM swap at the carrier: the lifecycle service revokes the phone certificate in a case of that kind. */
  private async endService(kind: 'contract-end' | 'sim-swap', phone: HeldPhone): Promise<Outcome> {
    const path = `/subscribers/${encodeURIComponent(simPhoneOf(phone).subscriber.msisdn)}/${kind}`;
    await retrying(() => new HttpJson(this.e.mno[phone.carrier], this.token).post(path, kind === 'contract-end' ? { note: 'scenario' } : {}));
    phone.revoked = true;
    return this.settledCase(`${kind} case of ${phone.serial}`, `serial=${phone.serial}&kind=${kind}`);
  }

  private async revokeCard(phone: HeldPhone): Promise<Outcome> {
    await retrying(() => new HttpJson(this.e.ca, this.token).post(`/citizens/${phone.citizen.personId}/card/revocation`, { certificates: 'both', reason: 'keyCompromise', comment: 'scenario' }));
    phone.revoked = true;
    return { outcome: 'revoked', expected: true, correlationId: phone.citizen.personId };
  }

  /**
   * Card renewal at the municipal window: new card certificates, the previous ones superseded; the card cascade revokes
   * the phone certificate (the holder must apply again) in lifecycle's card-renewal case.
   */
  private async renewCard(phone: HeldPhone): Promise<Outcome> {
    const { personId } = phone.citizen;
    const renewed = await retrying(() => new HttpJson(this.e.ca, this.token).post<{ cardFile: unknown }>(`/citizens/${personId}/card/renewal`, RENEWED_CARD));
    phone.citizen = { personId, card: VirtualMyNumberCard.open(renewed.cardFile), signingPassword: RENEWED_CARD.signingPassword, cardPin: RENEWED_CARD.userAuthenticationPin };
    phone.revoked = true;
    phone.cardSigningRevoked = false;
    return this.settledCase(`card-renewal case of ${personId}`, `personId=${personId}&kind=card-renewal`);
  }

  /**
   * The holder signs a small document with the phone signing key (its password) and submits it to the e-application
   * relying party: accepted with the phone's signing certificate as the signer while it is good; refused
   * CERTIFICATE_REVOKED (affiliationChanged) after an address change, CERTIFICATE_ON_HOLD while the phone is lost, and
   * refused once the phone's certificates are revoked otherwise. A status change reaches the relying party by OCSP or
   * by its CRL within a minute: the same submission is tried again until the expected answer, for so long at most.
   */
  private async eApplication(phone: HeldPhone): Promise<Outcome> {
    if (!phone.signingSerial || !phone.sePhone) return { outcome: 'failed:no-signing-certificate', expected: false };
    const { handset } = phone.sePhone;
    const document = Buffer.from(JSON.stringify({ form: '転居届 (scenario)', serial: phone.serial, nonce: randomBytes(8).toString('hex'), at: this.now().toISOString() }), 'utf8');
    const sign = () => new JpkiUiApp(this.e, this.now).signDocument(handset, PHONE_SIGNING_PASSWORD, document);
    // A lost SIM phone's security domain is locked (and a revoked phone's service ended): the applet refusing to sign is
    // as good a refusal as the relying party's (a lost eSE phone's applet signs: the relying party refuses); a good
    // phone's applet is retried through faults.
    const notGood = phone.lost || phone.revoked;
    const signed = await (notGood ? sign() : retrying(sign)).catch((err: unknown) => {
      if (notGood && (err instanceof SwError || err instanceof ApiError)) return `refused-as-expected:applet-${err instanceof ApiError ? err.reason : (err as SwError).sw.toString(16)}`;
      throw err;
    });
    if (typeof signed === 'string') return { outcome: signed, expected: true, correlationId: phone.signingSerial };
    const { signedData } = signed;
    const want = phone.signingRevoked
      ? 'refused:CERTIFICATE_REVOKED:affiliationChanged'
      : phone.revoked
        ? 'refused'
        : phone.lost
          ? 'refused:CERTIFICATE_ON_HOLD'
          : 'accepted';
    const submit = async (): Promise<string> => {
      const call = retrying(() =>
        new HttpJson(this.e.rpEapplication).post<{ applicationId: string; signer: { serial: string } }>('/applications', { document: document.toString('base64'), signedData: signedData.toString('base64') }),
      );
      const refusal = await refusalOf(call).catch((err: Error) => (err.message === 'expected a refusal' ? undefined : { status: 0, reason: outcomeOfError(err), details: undefined }));
      if (!refusal) {
        const accepted = await call;
        return accepted.signer.serial === phone.signingSerial ? 'accepted' : `unexpected:signer-${accepted.signer.serial}`;
      }
      if (refusal.status === 0) return refusal.reason;
      const revocationReason = refusal.details?.['revocationReason'];
      return `refused:${refusal.reason}${typeof revocationReason === 'string' ? `:${revocationReason}` : ''}`;
    };
    const matches = (outcome: string) => (want === 'refused' ? outcome.startsWith('refused:') : outcome === want);
    let last = '';
    await pollUntil('e-application answer', () => submit().then((o) => (last = o)), matches, E_APPLICATION_SETTLE_MS).catch(() => undefined);
    if (!matches(last)) return { outcome: last.startsWith('accepted') ? 'unexpected:accepted-while-not-good' : last, expected: false };
    return { outcome: want === 'refused' ? 'refused-as-expected' : last, expected: true, correlationId: phone.signingSerial };
  }

  /**
   * The holder moves (a basic-information change at the municipality): every signing certificate of the person is
   * revoked affiliationChanged, the card's (`changed`) and the phone's (`cascaded`); the user-authentication
   * certificates stay good, so the bank login still works (checked here unless the phone is lost). Later
   * e-applications must be refused, and a new enrollment or renewal needs the card's signing certificate again.
   */
  private async changeAddress(phone: HeldPhone): Promise<Outcome> {
    const { personId } = phone.citizen;
    const result = await retrying(() =>
      new HttpJson(this.e.ca, this.token).post<{ changed: RevokedCertificate[]; cascaded: RevokedCertificate[] }>(`/citizens/${personId}/basic-information-changes`, NEW_ADDRESS),
    );
    phone.cardSigningRevoked = true;
    const expectedPhones = phone.signingSerial && !phone.signingRevoked ? [phone.signingSerial] : [];
    phone.signingRevoked = phone.signingSerial !== undefined;
    const cascaded = result.cascaded.map((c) => c.serial).sort();
    const reasons = [...result.changed, ...result.cascaded].map((c) => c.revocationReason);
    if (result.changed.length !== 1 || JSON.stringify(cascaded) !== JSON.stringify(expectedPhones) || reasons.some((r) => r !== 'affiliationChanged')) {
      return { outcome: `unexpected:changed-${result.changed.length}-cascaded-${cascaded.join('+') || 'none'}`, expected: false, correlationId: personId };
    }
    if (phone.lost) return { outcome: 'changed', expected: true, correlationId: personId };
    const login = await this.holderCheck(phone, () => new BankClient(this.e.rpBank).login(phone.sign));
    return { outcome: login.expected ? 'changed' : `failed:bank-login-after-address-change:${login.outcome}`, expected: login.expected, correlationId: personId };
  }

  /**
   * The case lifecycle opened itself (from the CA's or a carrier's event) once it has done what it can now (a case
   * waiting for the device runs the rest when the SIM comes back): its outcome and saga steps, on record as accepted work.
   */
  private async settledCase(what: string, query: string): Promise<Outcome> {
    const lifecycle = new HttpJson(this.e.lifecycle, this.token);
    const [settled] = await pollUntil(
      what,
      async () => (await retrying(() => lifecycle.get<(CaseView & { caseId: string })[]>(`/cases?${query}`))).filter((x) => x.status !== 'open'),
      (found) => found.length > 0,
    );
    this.accepted.cases.push(settled.caseId);
    const view = await retrying(() => lifecycle.get<CaseView & { openedAt: string }>(`/cases/${settled.caseId}`));
    return { outcome: view.status, expected: view.status !== 'failed', correlationId: settled.caseId, steps: stepTimings(view.saga?.history ?? [], Date.parse(view.openedAt)) };
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

interface RevokedCertificate {
  serial: string;
  revocationReason?: string;
}

interface ClockView {
  now: string;
  offsetMs: number;
}

interface SeView {
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
