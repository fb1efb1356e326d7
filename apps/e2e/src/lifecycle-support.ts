/**
 * Shared helpers of the lifecycle end-to-end tests: the lifecycle API, the independent judges (the OpenSSL CLI for
 * OCSP and CRLs), the card registry seen by the vsim, and the CA's view of a person.
 */
import { randomBytes } from 'node:crypto';
import type { CaseView, Carrier, KeyMode, MvnoId, PhoneView } from '@jpki/contracts';
import {
  ApiError,
  createSubscriber,
  createTestCitizen,
  enrollAndAuthenticate,
  HttpJson,
  JpkiUiApp,
  type Handset,
  RelyingPartyVerifier,
  type PlatformEndpoints,
  type Subscriber,
  type TestCitizen,
} from '@jpki/jpki-client';
import { OpenSslWorkspace } from '@jpki/openssl-judge';
import { toPem } from '@jpki/pki';
import { waitUntil, type PlatformUnderTest } from '@jpki/testing';

/** The services the lifecycle flows cross (the relying-party apps are not needed here). */
export const LIFECYCLE_SERVICES = ['jpki-ca', 'sp-tsm', 'mno-tsm-docomo', 'mno-tsm-kddi', 'mno-tsm-softbank', 'vsim', 'lifecycle'];

export interface CertificateSummary {
  serial: string;
  kind: string;
  status: string;
  revocationReason: string | null;
  notAfter: string;
  device: { iccid?: string } | null;
  certificate: string;
}

interface SimView {
  handset: { power: string };
  card: { registry: { aid: string; kind: string; lifeCycle: { name: string } }[] };
}

export interface Phone {
  citizen: TestCitizen;
  subscriber: Subscriber;
  operator: Carrier | MvnoId;
  enrollmentId: string;
  serial: string;
}

/** A lifecycle client with the roles given (the platform's IdP issues the token). */
export function lifecycleApi(platform: PlatformUnderTest, sub = 'e2e-operator', roles: ('operator' | 'auditor' | 'integrator')[] = ['operator', 'auditor', 'integrator']): HttpJson {
  return new HttpJson(platform.endpoints.lifecycle, platform.keys.operatorToken(sub, roles));
}

/** The refusal of a call as `{ status, reason }`, or the body when it was accepted. */
export async function outcomeOf<T>(call: Promise<T>): Promise<{ status: number; reason: string } | T> {
  try {
    return await call;
  } catch (err) {
    if (err instanceof ApiError) return { status: err.status, reason: err.reason };
    throw err;
  }
}

export async function waitForCase(api: HttpJson, caseId: string, done: (c: CaseView) => boolean = (c) => c.status !== 'open', timeoutMs = 60_000): Promise<CaseView> {
  let last: CaseView | undefined;
  try {
    return await waitUntil(
      async () => {
        last = await api.get<CaseView>(`/cases/${caseId}`);
        return done(last) ? last : undefined;
      },
      timeoutMs,
      `case ${caseId}`,
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}; last seen: ${JSON.stringify(last)}`);
  }
}

export async function casesOf(api: HttpJson, query: Record<string, string>): Promise<CaseView[]> {
  return api.get<CaseView[]>(`/cases?${new URLSearchParams(query)}`);
}

/** Waits until a case of this kind exists for the filter and satisfies `done`. */
export async function waitForCaseOf(api: HttpJson, query: Record<string, string>, kind: string, done: (c: CaseView) => boolean = (c) => c.status !== 'open', timeoutMs = 60_000): Promise<CaseView> {
  const found = await waitUntil(async () => (await casesOf(api, query)).find((c) => c.kind === kind), timeoutMs, `${kind} case for ${JSON.stringify(query)}`);
  return waitForCase(api, found.caseId, done, timeoutMs);
}

export async function phoneOf(api: HttpJson, query: Record<string, string>): Promise<PhoneView> {
  return api.get<PhoneView>(`/phones?${new URLSearchParams(query)}`);
}

/** Enroll a phone for a new citizen (or the one given) on a new subscription, then log in once. */
export async function enrollPhone(platform: PlatformUnderTest, operator: Carrier | MvnoId = 'docomo', keyMode: KeyMode = 'on-card', citizen?: TestCitizen): Promise<Phone> {
  const e = platform.endpoints;
  const holder = citizen ?? (await createTestCitizen(e, platform.operatorToken));
  const subscriber = await createSubscriber(e, platform.operatorToken, operator);
  const { enrollment, login } = await enrollAndAuthenticate(e, holder, subscriber, operator, keyMode);
  if (enrollment.status !== 'completed' || !enrollment.serial || !login?.ok) throw new Error(`enrollment ${enrollment.enrollmentId} ${enrollment.status}: ${JSON.stringify(enrollment.failure ?? login)}`);
  return { citizen: holder, subscriber, operator, enrollmentId: enrollment.enrollmentId, serial: enrollment.serial };
}

/** Waits until the lifecycle service has the phone as operational (it learns it from the SP-TSM's event). */
export async function knownToLifecycle(api: HttpJson, phone: Phone): Promise<PhoneView> {
  return waitUntil(async () => {
    const view = await outcomeOf(phoneOf(api, { serial: phone.serial }));
    return 'serial' in view && view.service.state === 'operational' ? view : undefined;
  }, 30_000, `lifecycle knows ${phone.serial}`);
}

export async function citizenCertificates(platform: PlatformUnderTest, personId: string): Promise<CertificateSummary[]> {
  return (await new HttpJson(platform.endpoints.ca, platform.operatorToken).get<{ certificates: CertificateSummary[] }>(`/citizens/${personId}`)).certificates;
}

export async function certificateDer(platform: PlatformUnderTest, personId: string, serial: string): Promise<Buffer> {
  const found = (await citizenCertificates(platform, personId)).find((c) => c.serial === serial);
  if (!found) throw new Error(`the CA has no certificate ${serial} for ${personId}`);
  return Buffer.from(found.certificate, 'base64');
}

export async function simView(platform: PlatformUnderTest, iccid: string): Promise<SimView> {
  return new HttpJson(platform.endpoints.vsim, platform.operatorToken).get<SimView>(`/sims/${iccid}`);
}

/** The SP's security domain as the card registry shows it: absent, or its life-cycle name (SECURED, LOCKED…). */
export async function ssdState(platform: PlatformUnderTest, iccid: string): Promise<'absent' | 'locked' | 'unlocked'> {
  const ssd = (await simView(platform, iccid)).card.registry.find((e) => e.kind === 'SSD');
  if (!ssd) return 'absent';
  return ssd.lifeCycle.name.includes('LOCKED') ? 'locked' : 'unlocked';
}

export function setPower(platform: PlatformUnderTest, iccid: string, power: 'on' | 'off'): Promise<unknown> {
  return new HttpJson(platform.endpoints.vsim, platform.operatorToken).put(`/sims/${iccid}/handset`, { power });
}

/** The certificate the applet holds, as the handset reads it (no PIN needed). */
export async function appletCertificate(e: PlatformEndpoints, handset: Handset): Promise<Buffer> {
  return new JpkiUiApp(e).withApplet(handset, (applet) => applet.readCertificate());
}

/**
 * A relying party's check of a login at a given time (the environment's simulation clock): the phone signs a
 * challenge after the PIN; signature, chain to the JPKI user-authentication CA and OCSP status, all at `at`.
 */
export async function relyingPartyCheck(e: PlatformEndpoints, handset: Handset, at: Date, pin = '2580'): Promise<{ ok: boolean; reason?: string; serial?: string }> {
  const challenge = randomBytes(32);
  const answer = await new JpkiUiApp(e).signChallenge(handset, pin, challenge);
  const check = await new RelyingPartyVerifier(e.ca).verifyLogin(challenge, answer.signature, answer.certificate, at);
  return check.ok ? { ok: true, serial: check.serial } : { ok: false, reason: check.reason, serial: check.serial };
}

/** The OpenSSL CLI in a scratch directory, with the platform's CA certificates. */
export class OpenSslJudge {
  private constructor(
    private readonly workspace: OpenSslWorkspace,
    private readonly caUrl: string,
  ) {}

  static async create(platform: PlatformUnderTest): Promise<OpenSslJudge> {
    const workspace = await OpenSslWorkspace.create();
    const pem = async (name: string) => (await fetch(`${platform.endpoints.ca}/ca/${name}.pem`)).text();
    await workspace.write('ua.pem', await pem('user-authentication'));
    await workspace.write('root.pem', await pem('root'));
    await workspace.write('bundle.pem', (await pem('root')) + (await pem('user-authentication')));
    return new OpenSslJudge(workspace, platform.endpoints.ca);
  }

  async run(args: string[]): Promise<string> {
    return (await this.workspace.run(args)).output;
  }

  /** `openssl ocsp` against the CA's responder: the status line and reason, as OpenSSL reads the signed response. */
  async ocsp(der: Buffer, extra: string[] = []): Promise<{ status: string; reason?: string; verified: boolean; output: string }> {
    const name = `cert-${der.subarray(-8).toString('hex')}.pem`;
    await this.workspace.write(name, toPem(der, 'CERTIFICATE'));
    const output = await this.run(['ocsp', '-issuer', 'ua.pem', '-cert', name, '-url', `${this.caUrl}/ocsp`, '-CAfile', 'bundle.pem', '-resp_text', ...extra]);
    // After a jump of the simulation clock OpenSSL warns that the status times are in its future, then prints the status.
    const at = output.indexOf(`${name}: `);
    const status = at < 0 ? 'no-answer' : (/^(?:WARNING[^\n]*\n(?:[^\n]*error[^\n]*\n)*)?\s*(good|revoked|unknown)\b/.exec(output.slice(at + name.length + 2))?.[1] ?? 'no-answer');
    const reason = /Reason: (\w+)/.exec(output)?.[1];
    return { status, reason, verified: output.includes('Response verify OK'), output };
  }

  /** The user-authentication CA's CRL through `openssl crl -text`: entries as serial → reason, and the signature check. */
  async crl(): Promise<{ entries: Map<string, string>; verified: boolean; output: string }> {
    const res = await fetch(`${this.caUrl}/crl/user-authentication.crl`);
    await this.workspace.write('ua.crl', Buffer.from(await res.arrayBuffer()));
    const output = await this.run(['crl', '-inform', 'DER', '-in', 'ua.crl', '-CAfile', 'bundle.pem', '-noout', '-text']);
    const entries = new Map<string, string>();
    const blocks = output.split(/Serial Number: /).slice(1);
    for (const block of blocks) {
      const serial = /^([0-9A-F]+)/i.exec(block)?.[1]?.toUpperCase();
      const reason = /X509v3 CRL Reason Code:\s*\n\s*([^\n]+)/.exec(block)?.[1]?.trim() ?? 'none';
      if (serial) entries.set(serial.replace(/^0+/, ''), reason);
    }
    return { entries, verified: output.includes('verify OK'), output };
  }

  /** Waits until the CRL lists the serial with this reason text (e.g. "Certificate Hold"), or no longer lists it (`null`). */
  async waitForCrl(serial: string, reason: string | null, timeoutMs = 15_000): Promise<void> {
    const key = serial.toUpperCase().replace(/^0+/, '');
    const crl = await waitUntil(async () => {
      const current = await this.crl();
      return (reason === null ? !current.entries.has(key) : current.entries.get(key) === reason) ? current : undefined;
    }, timeoutMs, `CRL ${reason === null ? 'no longer lists' : `lists (${reason})`} ${serial}`);
    expectVerified(crl.verified, crl.output);
  }

  /** Waits until OpenSSL reads the wanted status from the responder. */
  async waitForOcsp(der: Buffer, status: string, reason?: string, timeoutMs = 10_000, extra: string[] = []): Promise<{ status: string; reason?: string; verified: boolean; output: string }> {
    let last = '';
    try {
      return await waitUntil(async () => {
        const answer = await this.ocsp(der, extra);
        last = answer.output;
        return answer.status === status && (reason === undefined || answer.reason === reason) ? answer : undefined;
      }, timeoutMs, `OCSP ${status}${reason ? ` (${reason})` : ''}`);
    } catch (err) {
      throw new Error(`${(err as Error).message}; last openssl output:\n${last}`);
    }
  }

  dispose(): Promise<void> {
    return this.workspace.dispose();
  }
}

function expectVerified(ok: boolean, output: string): void {
  if (!ok) throw new Error(`openssl did not verify the CRL:\n${output}`);
}
