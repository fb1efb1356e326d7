import type { MvnoId, Carrier } from '@jpki/contracts';
import {
  ApiError,
  BankClient,
  createSubscriber,
  createTestCitizen,
  HttpJson,
  JpkiUiApp,
  outcomeOfError,
  pollUntil,
  retrying,
  simChallengeSigner,
  type KeyMode,
  type PlatformEndpoints,
  type Subscriber,
} from '@jpki/jpki-client';
import type { AcceptedWork } from '@jpki/operations';
import type { Random } from '@jpki/testing';

const PIN = '2580';
const OPERATORS: (Carrier | MvnoId)[] = ['docomo', 'kddi', 'softbank', 'mineo'];
const KEY_MODES: KeyMode[] = ['on-card', 'delivered'];

export interface EnrolledPhone {
  subscriber: Subscriber;
  operator: Carrier | MvnoId;
  enrollmentId: string;
  serial: string;
  lost: boolean;
  busy: boolean;
}

export type OperationKind = 'enroll' | 'login' | 'loss' | 'found';

/** The mixed workload of a chaos run: enrollments on every carrier and an MVNO in both key modes, bank logins, loss and found. */
export class Workload {
  readonly phones: EnrolledPhone[] = [];
  readonly accepted: AcceptedWork = { enrollments: [], cases: [] };

  constructor(
    private readonly e: PlatformEndpoints,
    private readonly operatorToken: string,
    private readonly random: Random,
  ) {}

  /** The next operation: enrollments until a few phones exist, then a mix weighted towards enrollments and logins. */
  next(): { kind: OperationKind; run: () => Promise<string> } {
    const idle = this.phones.filter((p) => !p.busy);
    const lost = idle.filter((p) => p.lost);
    const held = idle.filter((p) => !p.lost);
    const roll = this.random.next();
    if (idle.length < 2 || roll < 0.4) return { kind: 'enroll', run: () => this.enroll() };
    if (lost.length > 0 && roll < 0.5) return this.on('found', this.random.pick(lost), (p) => this.found(p));
    if (held.length > 0 && roll < 0.6) return this.on('loss', this.random.pick(held), (p) => this.loss(p));
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
    const operator = this.random.pick(OPERATORS);
    const keyMode = this.random.pick(KEY_MODES);
    try {
      const citizen = await retrying(() => createTestCitizen(this.e, this.operatorToken));
      const subscriber = await retrying(() => createSubscriber(this.e, this.operatorToken, operator));
      const app = new JpkiUiApp(this.e);
      const started = await retrying(() => app.startEnrollment({ card: citizen.card, signingPassword: citizen.signingPassword, msisdn: subscriber.msisdn, operator, keyMode }));
      this.accepted.enrollments.push(started.enrollmentId);
      const done = await pollUntil(`enrollment ${started.enrollmentId}`, () => retrying(() => app.enrollment(started.enrollmentId)), (v) => v.status === 'completed' || v.status === 'failed');
      if (done.status !== 'completed' || !done.serial) return `failed:${done.failure?.reason ?? done.status}`;
      await retrying(() => app.setPhonePin(subscriber.handset, PIN));
      this.phones.push({ subscriber, operator, enrollmentId: done.enrollmentId, serial: done.serial, lost: false, busy: false });
      return 'completed';
    } catch (err) {
      return outcomeOfError(err);
    }
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
