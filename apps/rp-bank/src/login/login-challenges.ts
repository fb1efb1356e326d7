import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { newChallenge } from '@jpki/relying-party';
import { Clock, conflict, SERVICE_CONFIG } from '@jpki/service-kit';
import type { RpBankConfig } from '../config';

export interface IssuedChallenge {
  challengeId: string;
  challenge: Buffer;
  expiresAt: Date;
}

/**
 * Single-use, short-lived login challenges. Consumption is one conditional UPDATE, so two concurrent
 * submissions of the same answer cannot both pass; the loser learns why (replayed, expired, unknown).
 */
@Injectable()
export class LoginChallenges implements OnApplicationBootstrap, OnApplicationShutdown {
  private sweeper?: NodeJS.Timeout;

  constructor(
    private readonly ds: DataSource,
    private readonly clock: Clock,
    @Inject(SERVICE_CONFIG) private readonly config: RpBankConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.sweeper = setInterval(() => void this.sweep().catch(() => undefined), 60_000);
    this.sweeper.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.sweeper);
  }

  async issue(): Promise<IssuedChallenge> {
    const now = this.clock.now();
    const issued = { challengeId: randomUUID(), challenge: newChallenge(), expiresAt: new Date(now.getTime() + this.config.LOGIN_CHALLENGE_TTL_SECONDS * 1000) };
    await this.ds.query(`INSERT INTO login_challenge (challenge_id, challenge, created_at, expires_at) VALUES ($1, $2, $3, $4)`, [
      issued.challengeId,
      issued.challenge,
      now,
      issued.expiresAt,
    ]);
    return issued;
  }

  /** The challenge bytes, marked used; 409 CHALLENGE_REPLAYED / CHALLENGE_EXPIRED / CHALLENGE_UNKNOWN otherwise. */
  async consume(challengeId: string): Promise<Buffer> {
    const now = this.clock.now();
    const [rows] = (await this.ds.query(
      `UPDATE login_challenge SET used_at = $2 WHERE challenge_id = $1 AND used_at IS NULL AND expires_at > $2 RETURNING challenge`,
      [challengeId, now],
    )) as [{ challenge: Buffer }[], number];
    if (rows.length === 1) return rows[0].challenge;
    const [row] = (await this.ds.query(`SELECT used_at, expires_at FROM login_challenge WHERE challenge_id = $1`, [challengeId])) as {
      used_at: Date | null;
      expires_at: Date;
    }[];
    if (!row) throw conflict('CHALLENGE_UNKNOWN', 'no such login challenge');
    if (row.used_at) throw conflict('CHALLENGE_REPLAYED', `this challenge was already used at ${row.used_at.toISOString()}`);
    throw conflict('CHALLENGE_EXPIRED', `this challenge expired at ${row.expires_at.toISOString()}`);
  }

  private async sweep(): Promise<void> {
    await this.ds.query(`DELETE FROM login_challenge WHERE expires_at < $1`, [new Date(this.clock.now().getTime() - 86_400_000)]);
  }
}
