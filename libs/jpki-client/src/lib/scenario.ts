import { randomBytes } from 'node:crypto';
import { hostCarrierOf, type Carrier, type EnrollmentView, type KeyMode, type MvnoId } from '@jpki/contracts';
import { VirtualMyNumberCard } from '@jpki/mynumber-card';
import type { PlatformEndpoints } from './endpoints';
import { Handset } from './handset';
import { HttpJson } from './http-json';
import { JpkiUiApp } from './jpki-ui-app';
import { RelyingPartyVerifier, type LoginCheck } from './relying-party';
import { pollUntil } from './resilient-calls';

export interface TestCitizen {
  personId: string;
  card: VirtualMyNumberCard;
  signingPassword: string;
  cardPin: string;
}

export interface Subscriber {
  msisdn: string;
  iccid: string;
  carrier: Carrier;
  mvno: string | null;
  status: string;
  sim: { generation: string; state: string };
  /** The subscriber's phone, with the new SIM in it. */
  handset: Handset;
}

export interface CitizenDetails {
  name?: string;
  gender?: 'male' | 'female' | 'other';
  dateOfBirth?: string;
  address?: string;
  prefecture?: string;
  municipality?: string;
}

/** A signing password that satisfies JPKI's rule (6–16 of A–Z and 0–9, both present). */
export function newSigningPassword(): string {
  const letters = randomBytes(6).toString('hex').toUpperCase().replace(/[0-9]/g, (d) => 'ABCDEFGHIJ'[Number(d)]);
  return `${letters}${randomBytes(2).readUInt16BE() % 10}${randomBytes(2).readUInt16BE() % 10}`;
}

/** An integrator issues a virtual My Number card for a synthetic person at the (simulated) municipality. */
export async function createTestCitizen(e: PlatformEndpoints, token: string, details: CitizenDetails = {}): Promise<TestCitizen> {
  const { body, signingPassword, cardPin } = citizenApplication(details);
  const created = await new HttpJson(e.ca, token).post<{ personId: string; cardFile: unknown }>('/citizens', body);
  return { personId: created.personId, card: VirtualMyNumberCard.open(created.cardFile), signingPassword, cardPin };
}

/**
 * People per `POST /citizens/batch` (the CA takes up to 100): each card costs two RSA key generations, so 25 take about
 * 5 s on a 2-core machine at its key-generation bound, well inside the call's timeout even on a busy platform. A batch
 * whose answer is lost leaves its people issued and their keys, which only the card files carry, gone.
 */
const CITIZENS_PER_BATCH = 25;
const CITIZEN_BATCH_TIMEOUT_MS = 120_000;

/**
 * Cards for many synthetic people (`POST /citizens/batch`, 25 per request), in the order of `people`; throws on the
 * first batch with a refused person, naming each refusal (the people issued before it stay issued).
 */
export async function createTestCitizens(e: PlatformEndpoints, token: string, people: readonly CitizenDetails[]): Promise<TestCitizen[]> {
  const http = new HttpJson(e.ca, token, undefined, undefined, { timeoutMs: CITIZEN_BATCH_TIMEOUT_MS });
  const citizens: TestCitizen[] = [];
  for (let first = 0; first < people.length; first += CITIZENS_PER_BATCH) {
    const applications = people.slice(first, first + CITIZENS_PER_BATCH).map(citizenApplication);
    const answer = await http.post<{ results: { index: number; statusCode: number; personId?: string; cardFile?: unknown; reason?: string; message?: string }[] }>(
      '/citizens/batch',
      { citizens: applications.map((a) => a.body) },
    );
    const refused = answer.results.filter((r) => r.statusCode !== 201);
    if (refused.length > 0) throw new Error(`citizens refused: ${refused.map((r) => `#${first + r.index} ${r.statusCode} ${r.reason}: ${r.message}`).join('; ')}`);
    citizens.push(
      ...answer.results.map(({ index, personId, cardFile }) => ({
        personId: personId as string,
        card: VirtualMyNumberCard.open(cardFile),
        signingPassword: applications[index].signingPassword,
        cardPin: applications[index].cardPin,
      })),
    );
  }
  return citizens;
}

function citizenApplication(details: CitizenDetails): { body: Record<string, string>; signingPassword: string; cardPin: string } {
  const signingPassword = newSigningPassword();
  const cardPin = String(1000 + (randomBytes(2).readUInt16BE() % 9000));
  const body = {
    name: details.name ?? '山田 太郎',
    gender: details.gender ?? 'male',
    dateOfBirth: details.dateOfBirth ?? '1990-04-01',
    address: details.address ?? '東京都千代田区霞が関2-1-2',
    prefecture: details.prefecture ?? '東京都',
    municipality: details.municipality ?? '千代田区',
    signingPassword,
    userAuthenticationPin: cardPin,
  };
  return { body, signingPassword, cardPin };
}

/**
 * A subscription with a new SIM at the operator's host carrier, the SIM put in a new phone (the carrier's shop binds
 * it to the phone's IMEI and device key at the vSIM; the token needs the integrator role); resolves once the SIM is
 * manufactured and in the phone.
 */
export async function createSubscriber(e: PlatformEndpoints, token: string, operator: Carrier | MvnoId, generation?: string): Promise<Subscriber> {
  const carrier = hostCarrierOf(operator);
  const http = new HttpJson(e.mno[carrier], token);
  const body = { ...(operator !== carrier ? { mvno: operator } : {}), ...(generation ? { generation } : {}) };
  let sub = await http.post<Omit<Subscriber, 'carrier' | 'handset'>>('/subscribers', body);
  const deadline = Date.now() + 30_000;
  while (sub.status !== 'active') {
    if (Date.now() > deadline) throw new Error(`subscriber ${sub.msisdn} still ${sub.status} after 30 s`);
    await new Promise((r) => setTimeout(r, 150));
    sub = await http.get(`/subscribers/${encodeURIComponent(sub.msisdn)}`);
  }
  const handset = Handset.create(sub.iccid);
  await handset.insertSim(e.vsim, token);
  return { ...sub, carrier, handset };
}

/** A handset whose JPKI applet goes into its embedded SE; its number is a subscription like any phone's. */
export interface EsePhone {
  seid: string;
  model: string;
  /** The subscription of the phone's number (its SIM carries calls and data, not the applet). */
  subscriber: Subscriber;
  /** The handset, bound at the vSIM to its eSE. */
  handset: Handset;
}

/**
 * An eSE phone: the SE-management TSM has the handset's eSE manufactured (the vSIM stands in for the handset maker),
 * the handset is bound to it at the vSIM as a SIM is to its phone, and the number is a new subscription at `operator`.
 */
export async function createEsePhone(e: PlatformEndpoints, token: string, operator: Carrier | MvnoId, model = 'kumo-5g'): Promise<EsePhone> {
  const subscriber = await createSubscriber(e, token, operator);
  const http = new HttpJson(e.seTsm, token);
  const created = await http.post<{ seid: string; state: string }>('/secure-elements', { model });
  await pollUntil(`eSE ${created.seid}`, () => http.get<{ state: string }>(`/secure-elements/${created.seid}`), (se) => se.state === 'active', 30_000);
  const handset = Handset.create(created.seid);
  await handset.insertSim(e.vsim, token);
  return { seid: created.seid, model, subscriber, handset };
}

export interface PhoneOutcome {
  enrollment: EnrollmentView;
  login?: LoginCheck;
}

/**
 * The whole user journey for one phone: enroll with the card (choosing the phone PIN on the phone), and log in
 * at a relying party that checks signature, chain and OCSP status.
 */
export async function enrollAndAuthenticate(
  e: PlatformEndpoints,
  citizen: TestCitizen,
  subscriber: Subscriber,
  operator: Carrier | MvnoId,
  keyMode: KeyMode,
  onProgress?: (v: EnrollmentView) => void,
  phonePin = '2580',
): Promise<PhoneOutcome> {
  const enrollment = await new JpkiUiApp(e).enroll(
    { card: citizen.card, signingPassword: citizen.signingPassword, msisdn: subscriber.msisdn, operator, keyMode, handset: subscriber.handset, phonePin },
    onProgress,
  );
  if (enrollment.status !== 'completed') return { enrollment };
  return { enrollment, login: await authenticate(e, subscriber.handset, phonePin) };
}

/** One login at a relying party: a fresh challenge signed by the phone, verified by the relying party. */
export async function authenticate(e: PlatformEndpoints, handset: Handset, pin: string): Promise<LoginCheck> {
  const challenge = randomBytes(32);
  const answer = await new JpkiUiApp(e).signChallenge(handset, pin, challenge);
  return new RelyingPartyVerifier(e.ca).verifyLogin(challenge, answer.signature, answer.certificate);
}
