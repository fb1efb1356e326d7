import { HttpStatus, Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CHALLENGE_REFUSALS, ChallengeCapacityReached, ChallengeStore, purgeChallengesPeriodically } from '@jpki/relying-party';
import { counter, createLogger } from '@jpki/observability';
import { Clock, DomainHttpException, SERVICE_CONFIG } from '@jpki/service-kit';
import type { RpTicketingConfig } from '../config';

export interface ChallengeView {
  challengeId: string;
  challenge: string;
  expiresAt: string;
}

export type ChallengeScope = { purpose: 'purchase' } | { purpose: 'gate'; gateId: string };

const scopeOf = (scope: ChallengeScope): string => (scope.purpose === 'gate' ? `gate:${scope.gateId}` : 'purchase');

/**
 * Purchase challenges and per-gate challenges: single use (a gate challenge only at its own gate), CHALLENGE_TTL_SECONDS,
 * at most CHALLENGE_CAPACITY outstanding over both kinds (the shared ChallengeStore of @jpki/relying-party: 503
 * CHALLENGE_CAPACITY_REACHED beyond it, expired ones purged).
 */
@Injectable()
export class Challenges implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = createLogger('rp-ticketing.challenges');
  private readonly issued = counter('rp_challenges_total', 'Challenges asked for, by outcome', ['scope', 'outcome']);
  readonly store: ChallengeStore;
  private stopPurging?: () => void;

  constructor(ds: DataSource, clock: Clock, @Inject(SERVICE_CONFIG) config: RpTicketingConfig) {
    this.store = new ChallengeStore(ds, { ttlMs: config.CHALLENGE_TTL_SECONDS * 1000, capacity: config.CHALLENGE_CAPACITY, now: () => clock.now() });
  }

  onApplicationBootstrap(): void {
    this.stopPurging = purgeChallengesPeriodically(this.store, (err) => this.log.warn({ err }, 'challenge purge failed'));
  }

  onApplicationShutdown(): void {
    this.stopPurging?.();
  }

  async issue(scope: ChallengeScope): Promise<ChallengeView> {
    try {
      const issued = await this.store.issue(scopeOf(scope));
      this.issued.inc({ scope: scope.purpose, outcome: 'issued' });
      return { challengeId: issued.challengeId, challenge: issued.challenge.toString('base64'), expiresAt: issued.expiresAt.toISOString() };
    } catch (error) {
      if (!(error instanceof ChallengeCapacityReached)) throw error;
      this.issued.inc({ scope: scope.purpose, outcome: error.reason });
      throw new DomainHttpException(HttpStatus.SERVICE_UNAVAILABLE, error.reason, error.message, { capacity: error.capacity, retryAfterSeconds: error.retryAfterSeconds });
    }
  }

  /** The challenge bytes, marked used; 409 CHALLENGE_REPLAYED / CHALLENGE_EXPIRED / CHALLENGE_UNKNOWN otherwise. */
  async consume(challengeId: string, scope: ChallengeScope): Promise<Buffer> {
    const consumed = await this.store.consume(challengeId, scopeOf(scope));
    if (consumed.ok) return consumed.challenge;
    const unknown = scope.purpose === 'gate' ? `no such challenge of gate ${scope.gateId}` : 'no such purchase challenge';
    throw new DomainHttpException(CHALLENGE_REFUSALS[consumed.reason], consumed.reason, consumed.reason === 'CHALLENGE_UNKNOWN' ? unknown : consumed.message);
  }
}
