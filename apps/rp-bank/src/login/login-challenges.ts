import { HttpStatus, Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CHALLENGE_REFUSALS, ChallengeCapacityReached, ChallengeStore, purgeChallengesPeriodically, type IssuedChallenge } from '@jpki/relying-party';
import { counter, createLogger } from '@jpki/observability';
import { Clock, DomainHttpException, SERVICE_CONFIG } from '@jpki/service-kit';
import type { RpBankConfig } from '../config';

const SCOPE = 'login';

/**
 * Login challenges: single use, LOGIN_CHALLENGE_TTL_SECONDS, at most CHALLENGE_CAPACITY outstanding (the shared
 * ChallengeStore of @jpki/relying-party: 503 CHALLENGE_CAPACITY_REACHED beyond it, expired ones purged).
 */
@Injectable()
export class LoginChallenges implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = createLogger('rp-bank.challenges');
  private readonly issued = counter('rp_challenges_total', 'Challenges asked for, by outcome', ['scope', 'outcome']);
  readonly store: ChallengeStore;
  private stopPurging?: () => void;

  constructor(ds: DataSource, clock: Clock, @Inject(SERVICE_CONFIG) config: RpBankConfig) {
    this.store = new ChallengeStore(ds, { ttlMs: config.LOGIN_CHALLENGE_TTL_SECONDS * 1000, capacity: config.CHALLENGE_CAPACITY, now: () => clock.now() });
  }

  onApplicationBootstrap(): void {
    this.stopPurging = purgeChallengesPeriodically(this.store, (err) => this.log.warn({ err }, 'challenge purge failed'));
  }

  onApplicationShutdown(): void {
    this.stopPurging?.();
  }

  async issue(): Promise<IssuedChallenge> {
    try {
      const issued = await this.store.issue(SCOPE);
      this.issued.inc({ scope: SCOPE, outcome: 'issued' });
      return issued;
    } catch (error) {
      if (!(error instanceof ChallengeCapacityReached)) throw error;
      this.issued.inc({ scope: SCOPE, outcome: error.reason });
      throw new DomainHttpException(HttpStatus.SERVICE_UNAVAILABLE, error.reason, error.message, { capacity: error.capacity, retryAfterSeconds: error.retryAfterSeconds });
    }
  }

  /** The challenge bytes, marked used; 409 CHALLENGE_REPLAYED / CHALLENGE_EXPIRED / CHALLENGE_UNKNOWN otherwise. */
  async consume(challengeId: string): Promise<Buffer> {
    const consumed = await this.store.consume(challengeId, SCOPE);
    if (consumed.ok) return consumed.challenge;
    throw new DomainHttpException(CHALLENGE_REFUSALS[consumed.reason], consumed.reason, consumed.reason === 'CHALLENGE_UNKNOWN' ? 'no such login challenge' : consumed.message);
  }
}
