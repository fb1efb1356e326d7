import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { serialOf, type HolderVerification } from '@jpki/relying-party';
import { counter, createLogger, histogram } from '@jpki/observability';
import { Clock, DomainHttpException } from '@jpki/service-kit';
import { BankVerifier, holderRefused } from '../verification/bank-verifier';
import { LoginChallenges } from './login-challenges';
import type { ChallengeView, LoginRequest, LoginView } from './login.schemas';
import { Sessions } from './sessions';

/** Login by challenge–response with the phone's user-authentication key (docs/DESIGN.md §4.3). */
@Injectable()
export class LoginService {
  private readonly log = createLogger('rp-bank.login');
  private readonly outcomes = counter('rp_bank_logins_total', 'Login attempts by outcome', ['outcome']);
  private readonly duration = histogram('rp_bank_login_seconds', 'Login verification time (signature, chain, OCSP, session)', [], [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]);

  constructor(
    private readonly ds: DataSource,
    private readonly clock: Clock,
    private readonly challenges: LoginChallenges,
    private readonly verifier: BankVerifier,
    private readonly sessions: Sessions,
  ) {}

  async challenge(): Promise<ChallengeView> {
    const issued = await this.challenges.issue();
    return { challengeId: issued.challengeId, challenge: issued.challenge.toString('base64'), expiresAt: issued.expiresAt.toISOString() };
  }

  async login(request: LoginRequest): Promise<LoginView> {
    const started = process.hrtime.bigint();
    const certificate = Buffer.from(request.certificate, 'base64');
    const serial = safeSerial(certificate);
    try {
      const challenge = await this.challenges.consume(request.challengeId);
      const now = this.clock.now();
      const verified: HolderVerification = await this.verifier.verify(challenge, Buffer.from(request.signature, 'base64'), certificate, now);
      if (!verified.ok) throw holderRefused(verified);
      const session = await this.sessions.open(verified, certificate, now);
      await this.attempt(request.challengeId, serial, 'OK', null, session.sessionId);
      this.outcomes.inc({ outcome: 'OK' });
      const { holder, status } = verified;
      return {
        sessionId: session.sessionId,
        sessionToken: session.sessionToken,
        expiresAt: session.expiresAt.toISOString(),
        holder: { serial: holder.serial, subject: holder.subject, spkiSha256: holder.spkiSha256, keyType: holder.keyType, notAfter: holder.notAfter.toISOString() },
        account: { accountId: session.accountId, holderSubject: session.holderSubject },
        status: {
          source: status.source,
          checkedAt: status.checkedAt.toISOString(),
          ...(status.ocspProducedAt ? { ocspProducedAt: status.ocspProducedAt.toISOString() } : {}),
        },
      };
    } catch (error) {
      if (error instanceof DomainHttpException) {
        if (error.reason !== 'CHALLENGE_UNKNOWN') await this.attempt(request.challengeId, serial, error.reason, error.message, null);
        this.outcomes.inc({ outcome: error.reason });
        this.log.info({ serial, reason: error.reason, detail: error.message }, 'login refused');
      }
      throw error;
    } finally {
      this.duration.observe(Number(process.hrtime.bigint() - started) / 1e9);
    }
  }

  /**
   * Records an attempt on a challenge this bank issued, each outcome once per challenge: anonymous callers cannot grow
   * the log faster than the challenge store's cap lets them hold challenges (a login naming no issued challenge, or
   * replaying one again, is counted in metrics and logged, not stored).
   */
  private async attempt(challengeId: string, serial: string | null, outcome: string, detail: string | null, sessionId: string | null): Promise<void> {
    await this.ds.query(
      `INSERT INTO login_attempt (at, challenge_id, certificate_serial, outcome, detail, session_id)
       SELECT $1, $2, $3, $4, $5, $6 WHERE NOT EXISTS (SELECT 1 FROM login_attempt WHERE challenge_id = $2 AND outcome = $4)`,
      [this.clock.now(), challengeId, serial, outcome, detail?.slice(0, 1000) ?? null, sessionId],
    );
  }
}

function safeSerial(certificate: Buffer): string | null {
  try {
    return serialOf(certificate);
  } catch {
    return null;
  }
}
