import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { RevocationReasonName } from '@jpki/pki';
import { revocationReasonCode, type HolderAccepted } from '@jpki/relying-party';
import { counter, createLogger } from '@jpki/observability';
import { Clock, DomainHttpException, SERVICE_CONFIG } from '@jpki/service-kit';
import type { RpBankConfig } from '../config';
import { BankVerifier, holderRefused } from '../verification/bank-verifier';

export interface SessionRow {
  session_id: string;
  account_id: string;
  certificate_serial: string;
  spki_sha256: string;
  certificate: Buffer;
  created_at: Date;
  expires_at: Date;
  status_checked_at: Date;
  ended_at: Date | null;
  end_reason: string | null;
  end_detail: string | null;
}

export interface OpenedSession {
  sessionId: string;
  sessionToken: string;
  expiresAt: Date;
  accountId: string;
  holderSubject: string;
}

/** Serialises session creation with status-change handling for one certificate (see openSession). */
export async function lockCertificate(manager: EntityManager, serial: string): Promise<void> {
  await manager.query(`SELECT pg_advisory_xact_lock(hashtext(current_schema() || ':certificate:' || $1))`, [serial]);
}

export const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest();

const unauthorized = (reason: string, message: string, details?: unknown) => new DomainHttpException(HttpStatus.UNAUTHORIZED, reason, message, details);

/**
 * Sessions bound to the certificate that logged in (serial + SPKI hash). A session ends when the CA
 * announces a status change of its certificate (Kafka) and, should an announcement be missed, when
 * the OCSP re-check on use (after SESSION_STATUS_MAX_AGE_SECONDS) says anything but good.
 */
@Injectable()
export class Sessions {
  private readonly log = createLogger('rp-bank.sessions');
  private readonly ended = counter('rp_bank_sessions_ended_total', 'Sessions ended', ['reason']);

  constructor(
    private readonly ds: DataSource,
    private readonly clock: Clock,
    private readonly verifier: BankVerifier,
    @Inject(SERVICE_CONFIG) private readonly config: RpBankConfig,
  ) {}

  /**
   * Opens a session for a verified holder. Under the certificate's lock, a status change the CA announced
   * after the OCSP answer was produced refuses the login (the status-change handler takes the same lock, so
   * a change is either seen here or ends this session once committed).
   */
  async open(accepted: HolderAccepted, certificate: Buffer, now: Date): Promise<OpenedSession> {
    const { holder, status } = accepted;
    return this.ds.transaction(async (m) => {
      await lockCertificate(m, holder.serial);
      const [announced] = (await m.query(`SELECT status, reason, changed_at FROM certificate_status WHERE serial = $1`, [holder.serial])) as {
        status: string;
        reason: string | null;
        changed_at: Date;
      }[];
      if (announced && announced.status !== 'good' && (!status.ocspProducedAt || announced.changed_at >= status.ocspProducedAt)) {
        throw holderRefused({
          ok: false,
          reason: announced.status === 'on-hold' ? 'CERTIFICATE_ON_HOLD' : 'CERTIFICATE_REVOKED',
          detail: `the CA announced ${announced.status} (${announced.reason ?? 'unspecified'}) at ${announced.changed_at.toISOString()}`,
          serial: holder.serial,
          statusSource: status.source,
          ...(announced.reason
            ? { revocationReason: announced.reason as RevocationReasonName, revocationReasonCode: revocationReasonCode(announced.reason as RevocationReasonName) }
            : {}),
        });
      }
      const [account] = (await m.query(
        `INSERT INTO account (account_id, holder_subject, opened_at, balance_yen) VALUES ($1, $2, $3, $4)
         ON CONFLICT (holder_subject) DO UPDATE SET holder_subject = EXCLUDED.holder_subject RETURNING account_id`,
        [randomUUID(), holder.subject, now, syntheticBalance(holder.subject)],
      )) as { account_id: string }[];
      const sessionId = randomUUID();
      const token = randomBytes(32).toString('base64url');
      const expiresAt = new Date(now.getTime() + this.config.SESSION_TTL_SECONDS * 1000);
      await m.query(
        `INSERT INTO session (session_id, token_sha256, account_id, certificate_serial, spki_sha256, certificate, created_at, expires_at, status_checked_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $7)`,
        [sessionId, sha256(token), account.account_id, holder.serial, holder.spkiSha256, certificate, now, expiresAt],
      );
      return { sessionId, sessionToken: token, expiresAt, accountId: account.account_id, holderSubject: holder.subject };
    });
  }

  /** The live session of a bearer token: 401 SESSION_INVALID / SESSION_EXPIRED / SESSION_ENDED, or the status refusal. */
  async authenticate(authorization: string | undefined): Promise<SessionRow> {
    if (!authorization?.startsWith('Bearer ')) throw unauthorized('SESSION_REQUIRED', 'a bearer session token is required');
    const [session] = (await this.ds.query(`SELECT * FROM session WHERE token_sha256 = $1`, [sha256(authorization.slice(7))])) as SessionRow[];
    if (!session) throw unauthorized('SESSION_INVALID', 'unknown session token');
    if (session.ended_at) {
      throw unauthorized('SESSION_ENDED', `the session ended at ${session.ended_at.toISOString()} (${session.end_reason})`, {
        endReason: session.end_reason,
        endedAt: session.ended_at.toISOString(),
        ...(session.end_detail ? { endDetail: session.end_detail } : {}),
      });
    }
    const now = this.clock.now();
    if (session.expires_at <= now) throw unauthorized('SESSION_EXPIRED', `the session expired at ${session.expires_at.toISOString()}`);
    if (now.getTime() - session.status_checked_at.getTime() >= this.config.SESSION_STATUS_MAX_AGE_SECONDS * 1000) {
      const check = await this.verifier.recheck(session.certificate, now);
      if (!check.ok) {
        // Unavailable status keeps the session (503, try again); a definite refusal ends it.
        if (check.reason !== 'STATUS_UNAVAILABLE') await this.end(session.session_id, check.reason, check.detail);
        throw holderRefused(check);
      }
      await this.ds.query(`UPDATE session SET status_checked_at = $2 WHERE session_id = $1 AND ended_at IS NULL`, [session.session_id, now]);
      session.status_checked_at = now;
    }
    return session;
  }

  async end(sessionId: string, reason: string, detail?: string): Promise<void> {
    const [rows] = (await this.ds.query(`UPDATE session SET ended_at = $2, end_reason = $3, end_detail = $4 WHERE session_id = $1 AND ended_at IS NULL RETURNING session_id`, [
      sessionId,
      this.clock.now(),
      reason,
      detail ?? null,
    ])) as [unknown[], number];
    if (rows.length > 0) this.ended.inc({ reason });
  }

  /** Ends every live session of a certificate (in the caller's transaction, under lockCertificate). */
  async endForCertificate(manager: EntityManager, serial: string, reason: string, detail: string): Promise<number> {
    const [rows] = (await manager.query(
      `UPDATE session SET ended_at = $2, end_reason = $3, end_detail = $4 WHERE certificate_serial = $1 AND ended_at IS NULL RETURNING session_id`,
      [serial, this.clock.now(), reason, detail],
    )) as [unknown[], number];
    if (rows.length > 0) {
      this.ended.inc({ reason }, rows.length);
      this.log.info({ serial, reason, sessions: rows.length }, 'sessions of the certificate ended');
    }
    return rows.length;
  }
}

/** Synthetic banking data: a stable balance per account holder (¥100,000–¥9,999,999). */
export function syntheticBalance(subject: string): number {
  return 100_000 + (sha256(subject).readUInt32BE(0) % 9_900_000);
}
