import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { newChallenge } from '@jpki/relying-party';
import { Clock, conflict, SERVICE_CONFIG } from '@jpki/service-kit';
import type { RpTicketingConfig } from '../config';

export interface ChallengeView {
  challengeId: string;
  challenge: string;
  expiresAt: string;
}

export type ChallengeScope = { purpose: 'purchase' } | { purpose: 'gate'; gateId: string };

/**
 * Single-use, short-lived challenges for purchases and for one gate each. Consumption is one conditional
 * UPDATE (a gate challenge only at its own gate): the second use of an answer is CHALLENGE_REPLAYED.
 */
@Injectable()
export class Challenges implements OnApplicationBootstrap, OnApplicationShutdown {
  private sweeper?: NodeJS.Timeout;

  constructor(
    private readonly ds: DataSource,
    private readonly clock: Clock,
    @Inject(SERVICE_CONFIG) private readonly config: RpTicketingConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.sweeper = setInterval(() => void this.sweep().catch(() => undefined), 60_000);
    this.sweeper.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.sweeper);
  }

  async issue(scope: ChallengeScope): Promise<ChallengeView> {
    const now = this.clock.now();
    const challengeId = randomUUID();
    const challenge = newChallenge();
    const expiresAt = new Date(now.getTime() + this.config.CHALLENGE_TTL_SECONDS * 1000);
    await this.ds.query(`INSERT INTO challenge (challenge_id, purpose, gate_id, challenge, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)`, [
      challengeId,
      scope.purpose,
      scope.purpose === 'gate' ? scope.gateId : null,
      challenge,
      now,
      expiresAt,
    ]);
    return { challengeId, challenge: challenge.toString('base64'), expiresAt: expiresAt.toISOString() };
  }

  /** The challenge bytes, marked used; 409 CHALLENGE_REPLAYED / CHALLENGE_EXPIRED / CHALLENGE_UNKNOWN otherwise. */
  async consume(challengeId: string, scope: ChallengeScope): Promise<Buffer> {
    const now = this.clock.now();
    const gateId = scope.purpose === 'gate' ? scope.gateId : null;
    const [rows] = (await this.ds.query(
      `UPDATE challenge SET used_at = $2 WHERE challenge_id = $1 AND purpose = $3 AND gate_id IS NOT DISTINCT FROM $4 AND used_at IS NULL AND expires_at > $2
       RETURNING challenge`,
      [challengeId, now, scope.purpose, gateId],
    )) as [{ challenge: Buffer }[], number];
    if (rows.length === 1) return rows[0].challenge;
    const [row] = (await this.ds.query(`SELECT used_at, expires_at FROM challenge WHERE challenge_id = $1 AND purpose = $2 AND gate_id IS NOT DISTINCT FROM $3`, [
      challengeId,
      scope.purpose,
      gateId,
    ])) as { used_at: Date | null; expires_at: Date }[];
    if (!row) throw conflict('CHALLENGE_UNKNOWN', scope.purpose === 'gate' ? `no such challenge of gate ${gateId}` : 'no such purchase challenge');
    if (row.used_at) throw conflict('CHALLENGE_REPLAYED', `this challenge was already used at ${row.used_at.toISOString()}`);
    throw conflict('CHALLENGE_EXPIRED', `this challenge expired at ${row.expires_at.toISOString()}`);
  }

  private async sweep(): Promise<void> {
    await this.ds.query(`DELETE FROM challenge WHERE expires_at < $1`, [new Date(this.clock.now().getTime() - 86_400_000)]);
  }
}
