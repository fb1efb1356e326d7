import type { MigrationInterface, QueryRunner } from 'typeorm';
import { CHALLENGE_TABLE_DDL } from '@jpki/relying-party';

/**
 * Purchase and gate challenges move to the relying parties' shared challenge table (`rp_challenge`, scope `purchase`
 * or `gate:<gateId>`; @jpki/relying-party ChallengeStore: TTL, capacity, purge). Challenges live a minute and are
 * single use: the few outstanding during the upgrade are dropped (CHALLENGE_UNKNOWN; the app asks for a new one).
 */
export class ChallengeStore1700000007710 implements MigrationInterface {
  name = 'ChallengeStore1700000007710';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE challenge`);
    for (const ddl of CHALLENGE_TABLE_DDL) await q.query(ddl);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE rp_challenge`);
    await q.query(`
      CREATE TABLE challenge (
        challenge_id  UUID PRIMARY KEY,
        purpose       TEXT NOT NULL CHECK (purpose IN ('purchase', 'gate')),
        gate_id       TEXT,
        challenge     BYTEA NOT NULL CHECK (octet_length(challenge) = 32),
        created_at    TIMESTAMPTZ NOT NULL,
        expires_at    TIMESTAMPTZ NOT NULL,
        used_at       TIMESTAMPTZ,
        CHECK ((purpose = 'gate') = (gate_id IS NOT NULL))
      )`);
    await q.query(`CREATE INDEX challenge_expires ON challenge (expires_at)`);
  }
}
