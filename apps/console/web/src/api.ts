/** Calls to the console server (same origin): sign-in, and the services' operator APIs it forwards with the session token. */
import type { CaseView, PhoneView } from '@jpki/contracts';

/** Follow-ups an operator recorded on a case waiting for the phone (lifecycle POST /cases/{caseId}/follow-ups). */
export function followUpsOf(c: CaseView): { at: string; by: string; reason: string }[] {
  const followUps = c.result['followUps'];
  return Array.isArray(followUps) ? (followUps as { at: string; by: string; reason: string }[]) : [];
}


export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }

  /** The field-level messages of a 400 VALIDATION_FAILED, joined. */
  get detailText(): string {
    if (!Array.isArray(this.details)) return '';
    return (this.details as { path?: string; message?: string }[]).map((d) => (d.path ? `${d.path}: ${d.message}` : (d.message ?? ''))).join('; ');
  }
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: { accept: 'application/json', 'x-console-request': '1', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  const json = text ? (JSON.parse(text) as unknown) : undefined;
  if (!res.ok) {
    const e = (json ?? {}) as { reason?: string; message?: unknown; details?: unknown };
    const message = typeof e.message === 'string' ? e.message : JSON.stringify(e.message ?? res.statusText);
    throw new ApiError(res.status, e.reason ?? `HTTP_${res.status}`, message, e.details);
  }
  return json as T;
}

export const api = {
  get: <T>(path: string) => call<T>('GET', path),
  post: <T>(path: string, body: unknown) => call<T>('POST', path, body),
  del: (path: string) => call<void>('DELETE', path),
};

export type Role = 'operator' | 'auditor' | 'integrator';

export interface Session {
  username: string;
  displayName: string;
  roles: Role[];
  carrier: string | null;
  expiresAt: string;
}

export interface CertificateSummary {
  serial: string;
  kind: string;
  issuerCa: string;
  status: 'good' | 'on-hold' | 'revoked';
  revocationReason: string | null;
  revokedAt: string | null;
  notBefore: string;
  notAfter: string;
  issuedAt: string;
  enrollmentId: string | null;
  certificate: string;
}

export type SearchKey = 'msisdn' | 'iccid' | 'imei' | 'serial' | 'personId' | 'enrollmentId';

/** The operator may act (loss, found, revocation); auditors only read. */
export const canAct = (s: Session) => s.roles.includes('operator');
/** The lifecycle audit log spans every carrier: auditors without a carrier scope. */
export const canReadAudit = (s: Session) => s.roles.includes('auditor') && s.carrier === null;
/** Contract end is the carrier's act: its own operators, on its own live subscribers (the carrier's MNO-TSM decides). */
export const canEndContract = (s: Session, p: PhoneView) => canAct(s) && s.carrier !== null && s.carrier === p.carrier && p.msisdn !== null && !p.sim?.closedAt;
/** Each carrier's MNO-TSM shows its OTA queue to that carrier's operators and auditors only. */
export const canReadOtaQueue = (s: Session) => s.carrier !== null;
/** Certificates with PEM come from the CA's operator API. */
export const canReadCertificates = (s: Session) => s.roles.includes('operator') || s.roles.includes('integrator');

export function pemOf(base64Der: string): string {
  const lines = base64Der.match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}

export interface SimView {
  /** A SIM's ICCID, or an embedded SE's id. */
  seid: string;
  kind: 'uicc' | 'ese';
  /** null for an embedded SE. */
  carrier: string | null;
  generation: string;
  handset: { power: 'on' | 'off'; changedAt: string | null; imei: string | null; boundAt: string | null };
  card: {
    lifeCycle: { value: string; name: string };
    registry: {
      aid: string;
      kind: string;
      lifeCycle: { value: string; name: string };
      associatedSd: string | null;
      scp03?: { i: string; mode: string };
      /** A JPKI applet instance: the key it holds (user-authentication PIN or signing password). */
      jpki?: { role: 'user-authentication' | 'signing'; pinTriesRemaining: number };
    }[];
  };
}

/** The card as its registry reports it: the vsim shows it to auditors (and integrators). */
export const canReadCard = (s: Session) => s.roles.includes('auditor') || s.roles.includes('integrator');

/** lifecycle POST /reenrollment-notices answer. */
export interface ReenrollmentNotice {
  personId: string;
  cause: string;
  caseId: string;
  serials: string[];
  sentBy: string;
  sentAt: string;
}

/** mno-tsm GET /ota-queue: card operations not done yet. */
export interface OtaBacklog {
  carrier: string;
  at: string;
  states: { state: 'waiting-for-phone' | 'pending' | 'running' | 'forwarding'; operation: string; count: number; oldestAt: string; oldestAgeSeconds: number }[];
}
