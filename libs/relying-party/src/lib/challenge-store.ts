/**
 * The relying parties' single-use challenges (rp-bank logins; rp-ticketing purchases and gate entries), kept in one
 * table per service, `rp_challenge`, through the SQL connection the service hands in (no I/O of its own).
 *
 * Issuing a challenge is unauthenticated, so the table must not grow with an attacker's requests:
 * - a challenge expires `ttlMs` after issue and is single use (consumption is one conditional UPDATE, so two
 *   concurrent answers cannot both pass; the loser learns why: CHALLENGE_REPLAYED / CHALLENGE_EXPIRED / UNKNOWN);
 * - at most `capacity` challenges are outstanding (issued and unexpired, used or not: answering a challenge with a
 *   garbage signature must not free its place) at once, over every replica: the capacity check and the insert are one
 *   statement. Beyond it, issue() throws ChallengeCapacityReached (the service answers 503 CHALLENGE_CAPACITY_REACHED
 *   with Retry-After: when the oldest outstanding one expires). Concurrent issues may overshoot by the number of
 *   statements in flight (the connection pools), never more;
 * - purgeExpired() deletes challenges expired more than `expiredGraceMs` ago (kept that long to answer
 *   CHALLENGE_EXPIRED rather than CHALLENGE_UNKNOWN); the services run it every min(TTL, 60 s).
 * Since outstanding ≤ capacity at every instant, at most `capacity` challenges are issued per TTL, so the table holds
 * at most capacity × (1 + (grace + sweep interval) / TTL) rows: 3 × capacity with the defaults.
 */
import { randomUUID } from 'node:crypto';
import { CHALLENGE_BYTES, newChallenge } from './challenge';

/** What the store needs of a database connection (a TypeORM DataSource or EntityManager fits). */
export interface SqlQueryable {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  query(sql: string, parameters?: unknown[]): Promise<any>;
}

/** DDL of the challenge table, for each relying party's migration (one definition for both services). */
export const CHALLENGE_TABLE_DDL: readonly string[] = [
  `CREATE TABLE rp_challenge (
     challenge_id  UUID PRIMARY KEY,
     -- what the answer may be used for: 'login', 'purchase', 'gate:<gateId>'
     scope         TEXT NOT NULL CHECK (length(scope) BETWEEN 1 AND 100),
     challenge     BYTEA NOT NULL CHECK (octet_length(challenge) = ${CHALLENGE_BYTES}),
     created_at    TIMESTAMPTZ NOT NULL,
     expires_at    TIMESTAMPTZ NOT NULL,
     -- set once, by UPDATE … WHERE used_at IS NULL: a second use is a replay
     used_at       TIMESTAMPTZ
   )`,
  // The capacity check counts outstanding challenges along this index (an index-only scan of at most `capacity`
  // entries); the purge walks it too.
  `CREATE INDEX rp_challenge_expires ON rp_challenge (expires_at)`,
];

export interface ChallengeStoreOptions {
  /** How long a challenge can be answered. */
  ttlMs: number;
  /** Most challenges outstanding (issued and unexpired) at once. */
  capacity: number;
  /** How long an expired challenge is kept to answer CHALLENGE_EXPIRED (default: one TTL). */
  expiredGraceMs?: number;
  /** The service's clock (the simulation clock: a challenge expires in the time the platform runs on). */
  now: () => Date;
}

export interface IssuedChallenge {
  challengeId: string;
  challenge: Buffer;
  expiresAt: Date;
}

export type ChallengeRefusalReason = 'CHALLENGE_UNKNOWN' | 'CHALLENGE_REPLAYED' | 'CHALLENGE_EXPIRED';

export type ChallengeConsumption = { ok: true; challenge: Buffer } | { ok: false; reason: ChallengeRefusalReason; message: string };

/** The HTTP status each challenge refusal is answered with. */
export const CHALLENGE_REFUSALS = {
  CHALLENGE_UNKNOWN: 409,
  CHALLENGE_REPLAYED: 409,
  CHALLENGE_EXPIRED: 409,
  /** The service holds `capacity` outstanding challenges (`details.retryAfterSeconds`); not the caller's fault alone. */
  CHALLENGE_CAPACITY_REACHED: 503,
} as const;

/** Thrown by issue() when `capacity` challenges are outstanding. */
export class ChallengeCapacityReached extends Error {
  readonly reason = 'CHALLENGE_CAPACITY_REACHED';

  constructor(
    readonly capacity: number,
    /** Seconds until the oldest outstanding challenge expires (frees a place). */
    readonly retryAfterSeconds: number,
  ) {
    super(`${capacity} challenges are outstanding, the most this service holds; one frees up in ${retryAfterSeconds} s`);
    this.name = 'ChallengeCapacityReached';
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class ChallengeStore {
  private readonly grace: number;

  constructor(
    private readonly db: SqlQueryable,
    private readonly options: ChallengeStoreOptions,
  ) {
    if (!(options.ttlMs > 0) || !Number.isInteger(options.capacity) || options.capacity < 1) throw new Error('ChallengeStore: ttlMs > 0 and capacity ≥ 1 required');
    this.grace = options.expiredGraceMs ?? options.ttlMs;
  }

  get capacity(): number {
    return this.options.capacity;
  }

  /** A fresh challenge for `scope`; ChallengeCapacityReached when `capacity` are outstanding. */
  async issue(scope: string): Promise<IssuedChallenge> {
    const now = this.options.now();
    const issued: IssuedChallenge = { challengeId: randomUUID(), challenge: newChallenge(), expiresAt: new Date(now.getTime() + this.options.ttlMs) };
    const inserted = (await this.db.query(
      `INSERT INTO rp_challenge (challenge_id, scope, challenge, created_at, expires_at)
       SELECT $1, $2, $3, $4, $5
       WHERE (SELECT count(*) FROM (SELECT 1 FROM rp_challenge WHERE expires_at > $4 LIMIT $6) outstanding) < $6
       RETURNING challenge_id`,
      [issued.challengeId, scope, issued.challenge, now, issued.expiresAt, this.options.capacity],
    )) as unknown[];
    if (inserted.length === 1) return issued;
    const [oldest] = (await this.db.query(`SELECT min(expires_at) AS at FROM rp_challenge WHERE expires_at > $1`, [now])) as { at: Date | null }[];
    const waitMs = oldest?.at ? oldest.at.getTime() - now.getTime() : 0;
    throw new ChallengeCapacityReached(this.options.capacity, Math.max(1, Math.ceil(waitMs / 1000)));
  }

  /** The challenge bytes, marked used, when `challengeId` was issued for `scope`, is unused and unexpired. */
  async consume(challengeId: string, scope: string): Promise<ChallengeConsumption> {
    if (!UUID.test(challengeId)) return { ok: false, reason: 'CHALLENGE_UNKNOWN', message: 'no such challenge' };
    const now = this.options.now();
    const [rows] = (await this.db.query(
      `UPDATE rp_challenge SET used_at = $3 WHERE challenge_id = $1 AND scope = $2 AND used_at IS NULL AND expires_at > $3 RETURNING challenge`,
      [challengeId, scope, now],
    )) as [{ challenge: Buffer }[], number];
    if (rows.length === 1) return { ok: true, challenge: rows[0].challenge };
    const [row] = (await this.db.query(`SELECT used_at, expires_at FROM rp_challenge WHERE challenge_id = $1 AND scope = $2`, [challengeId, scope])) as {
      used_at: Date | null;
      expires_at: Date;
    }[];
    if (!row) return { ok: false, reason: 'CHALLENGE_UNKNOWN', message: 'no such challenge' };
    if (row.used_at) return { ok: false, reason: 'CHALLENGE_REPLAYED', message: `this challenge was already used at ${row.used_at.toISOString()}` };
    return { ok: false, reason: 'CHALLENGE_EXPIRED', message: `this challenge expired at ${row.expires_at.toISOString()}` };
  }

  /** Deletes challenges expired more than the grace period ago; returns how many. */
  async purgeExpired(): Promise<number> {
    const before = new Date(this.options.now().getTime() - this.grace);
    const [, deleted] = (await this.db.query(`DELETE FROM rp_challenge WHERE expires_at < $1`, [before])) as [unknown, number];
    return deleted;
  }

  /** Rows in the table, and how many of them are outstanding (for metrics and tests). */
  async size(): Promise<{ rows: number; outstanding: number }> {
    const [r] = (await this.db.query(`SELECT count(*)::int AS rows, (count(*) FILTER (WHERE expires_at > $1))::int AS outstanding FROM rp_challenge`, [
      this.options.now(),
    ])) as { rows: number; outstanding: number }[];
    return r;
  }

  /** How often a service should purge: every TTL, at most every minute. */
  get purgeIntervalMs(): number {
    return Math.min(this.options.ttlMs, 60_000);
  }
}

/**
 * Runs store.purgeExpired() every purgeIntervalMs until the returned function is called (the timer does not keep the
 * process alive); failures go to `onError` and the next round tries again.
 */
export function purgeChallengesPeriodically(store: ChallengeStore, onError: (err: unknown) => void = () => undefined): () => void {
  const timer = setInterval(() => void store.purgeExpired().catch(onError), store.purgeIntervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
