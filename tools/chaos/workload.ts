import type { MvnoId, Carrier, IphoneMethod, KeyMode } from '@jpki/contracts';
import {
  ApiError,
  BankClient,
  createSubscriber,
  createTestCitizen,
  enrollIphone,
  HttpJson,
  JpkiUiApp,
  outcomeOfError,
  pollUntil,
  retrying,
  simChallengeSigner,
  THROUGH_FAULTS_TIMEOUT_MS,
  type PlatformEndpoints,
  type Subscriber,
  type TestCitizen,
} from '@jpki/jpki-client';
import type { SimulatedAttestationAuthority } from '@jpki/iphone-device';
import type { AcceptedWork } from '@jpki/operations';
import type { Random } from '@jpki/testing';

const PIN = '2580';
const OPERATORS: (Carrier | MvnoId)[] = ['docomo', 'kddi', 'softbank', 'mineo'];
const KEY_MODES: KeyMode[] = ['on-card', 'delivered'];
const IPHONE_METHODS: IphoneMethod[] = ['device-key', 'ca-generated'];

export interface EnrolledPhone {
  citizen: TestCitizen;
  subscriber: Subscriber;
  operator: Carrier | MvnoId;
  enrollmentId: string;
  serial: string;
  lost: boolean;
  busy: boolean;
}

export const OPERATION_KINDS = ['enroll', 'iphone-enroll', 'login', 'loss', 'found', 'device-change', 'contract-end'] as const;
export type OperationKind = (typeof OPERATION_KINDS)[number];

/**
 * The mixed workload of a chaos run: SIM enrollments on every carrier and an MVNO in both key modes, iPhone enrollments
 * by both methods, bank logins, loss and found, device changes (the holder enrolls a new SIM phone: the CA supersedes
 * the old certificate and lifecycle clears the old SIM) and contract ends at the carrier.
 */
export class Workload {
  readonly phones: EnrolledPhone[] = [];
  readonly accepted: AcceptedWork = { enrollments: [], cases: [] };

  constructor(
    private readonly e: PlatformEndpoints,
    private readonly operatorToken: string,
    private readonly random: Random,
    /** The simulated iPhone vendor the CA trusts (StackKeys.deviceAttestation). */
    private readonly iphoneVendor: SimulatedAttestationAuthority,
  ) {}

  /** The next operation: enrollments until a few phones exist, then a mix weighted towards enrollments and logins. */
  next(): { kind: OperationKind; run: () => Promise<string> } {
    const idle = this.phones.filter((p) => !p.busy);
    const lost = idle.filter((p) => p.lost);
    const held = idle.filter((p) => !p.lost);
    const roll = this.random.next();
    if (idle.length < 2 || roll < 0.3) return { kind: 'enroll', run: () => this.enroll() };
    if (roll < 0.36) return { kind: 'iphone-enroll', run: () => this.enrollIphone() };
    if (lost.length > 0 && roll < 0.45) return this.on('found', this.random.pick(lost), (p) => this.found(p));
    if (held.length > 0 && roll < 0.54) return this.on('loss', this.random.pick(held), (p) => this.loss(p));
    if (held.length > 0 && roll < 0.6) return this.on('device-change', this.random.pick(held), (p) => this.changeDevice(p));
    if (held.length > 0 && roll < 0.64) return this.on('contract-end', this.random.pick(held), (p) => this.endContract(p));
    return this.on('login', this.random.pick(idle), (p) => this.login(p));
  }

  private on(kind: OperationKind, phone: EnrolledPhone, op: (p: EnrolledPhone) => Promise<string>): { kind: OperationKind; run: () => Promise<string> } {
    return {
      kind,
      run: async () => {
        phone.busy = true;
        try {
          return await op(phone);
        } finally {
          phone.busy = false;
        }
      },
    };
  }

  private async enroll(): Promise<string> {
    try {
      const citizen = await retrying(() => createTestCitizen(this.e, this.operatorToken));
      const phone = await this.enrollSim(citizen, this.random.pick(OPERATORS));
      if (typeof phone === 'string') return phone;
      this.phones.push(phone);
      return 'completed';
    } catch (err) {
      return outcomeOfError(err);
    }
  }

  /** The holder enrolls a new SIM phone: the old one leaves the workload (its certificate superseded, its SIM cleared). */
  private async changeDevice(old: EnrolledPhone): Promise<string> {
    try {
      const phone = await this.enrollSim(old.citizen, old.operator);
      if (typeof phone === 'string') return phone;
      this.phones.splice(this.phones.indexOf(old), 1, phone);
      return 'completed';
    } catch (err) {
      return outcomeOfError(err);
    }
  }

  /** The carrier ends the subscriber's contract: lifecycle revokes the certificate and clears the SIM in a contract-end case. */
  private async endContract(phone: EnrolledPhone): Promise<string> {
    try {
      const carrier = phone.subscriber.carrier;
      await retrying(() => new HttpJson(this.e.mno[carrier], this.operatorToken).post(`/subscribers/${encodeURIComponent(phone.subscriber.msisdn)}/contract-end`, { note: 'chaos workload' }));
      this.phones.splice(this.phones.indexOf(phone), 1);
      const lifecycle = new HttpJson(this.e.lifecycle, this.operatorToken);
      const cases = await pollUntil(
        `contract-end case of ${phone.serial}`,
        () => retrying(() => lifecycle.get<{ caseId: string; status: string }[]>(`/cases?serial=${phone.serial}&kind=contract-end`)),
        (found) => found.some((c) => c.status !== 'open'),
      );
      this.accepted.cases.push(...cases.map((c) => c.caseId));
      return cases.find((c) => c.status !== 'open')?.status ?? 'open';
    } catch (err) {
      return outcomeOfError(err);
    }
  }

  private async enrollIphone(): Promise<string> {
    try {
      const citizen = await retrying(() => createTestCitizen(this.e, this.operatorToken));
      const { enrollment } = await enrollIphone(this.e, citizen, { method: this.random.pick(IPHONE_METHODS), vendor: this.iphoneVendor });
      return enrollment.status === 'completed' ? 'completed' : `failed:${enrollment.state}`;
    } catch (err) {
      return outcomeOfError(err);
    }
  }

  /** A SIM phone enrolled for the citizen at the operator (a new subscription), in either key mode; a string says why not. */
  private async enrollSim(citizen: TestCitizen, operator: Carrier | MvnoId): Promise<EnrolledPhone | string> {
    const keyMode = this.random.pick(KEY_MODES);
    const subscriber = await retrying(() => createSubscriber(this.e, this.operatorToken, operator));
    const app = new JpkiUiApp(this.e);
    const started = await retrying(() => app.startEnrollment({ card: citizen.card, signingPassword: citizen.signingPassword, msisdn: subscriber.msisdn, operator, keyMode }));
    this.accepted.enrollments.push(started.enrollmentId);
    const done = await app.waitForEnrollment(started.enrollmentId, undefined, THROUGH_FAULTS_TIMEOUT_MS);
    if (done.status !== 'completed' || !done.serial) return `failed:${done.failure?.reason ?? done.status}`;
    await retrying(() => app.setPhonePin(subscriber.handset, PIN));
    return { citizen, subscriber, operator, enrollmentId: done.enrollmentId, serial: done.serial, lost: false, busy: false };
  }

  private async login(phone: EnrolledPhone): Promise<string> {
    try {
      await retrying(() => new BankClient(this.e.rpBank).login(simChallengeSigner(this.e, phone.subscriber.handset, PIN)));
      return phone.lost ? 'unexpected:accepted-while-lost' : 'ok';
    } catch (err) {
      return phone.lost && err instanceof ApiError ? 'refused-while-lost' : outcomeOfError(err);
    }
  }

  private async loss(phone: EnrolledPhone): Promise<string> {
    return this.reportCase(phone, '/loss-reports', true);
  }

  private async found(phone: EnrolledPhone): Promise<string> {
    return this.reportCase(phone, '/found-reports', false);
  }

  private async reportCase(phone: EnrolledPhone, path: string, lost: boolean): Promise<string> {
    const api = new HttpJson(this.e.lifecycle, this.operatorToken);
    try {
      const opened = await retrying(() => api.post<{ caseId: string }>(path, { serial: phone.serial, reason: 'chaos workload' }));
      this.accepted.cases.push(opened.caseId);
      // A case waiting for the device has done what it can now (the rest runs when the SIM comes back).
      const done = await pollUntil(`case ${opened.caseId}`, () => retrying(() => api.get<{ status: string }>(`/cases/${opened.caseId}`)), (c) => c.status !== 'open');
      if (done.status !== 'failed') phone.lost = lost;
      return done.status;
    } catch (err) {
      return outcomeOfError(err);
    }
  }
}
