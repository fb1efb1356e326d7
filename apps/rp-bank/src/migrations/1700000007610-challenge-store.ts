import type { MigrationInterface, QueryRunner } from 'typeorm';
import { CHALLENGE_TABLE_DDL } from '@jpki/relying-party';

/**
 * Login challenges move to the relying parties' shared challenge table (`rp_challenge`, @jpki/relying-party
 * ChallengeStore: TTL, capacity, purge). Challenges live two minutes and are single use: the few outstanding during
 * the upgrade are dropped (their logins answer CHALLENGE_UNKNOWN and the app asks for a new one).
 */
export class ChallengeStore1700000007610 implements MigrationInterface {
  name = 'ChallengeStore1700000007610';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE login_challenge`);
    for (const ddl of CHALLENGE_TABLE_DDL) await q.query(ddl);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE rp_challenge`);
    await q.query(`
      CREATE TABLE login_challenge (
        challenge_id  UUID PRIMARY KEY,
        challenge     BYTEA NOT NULL CHECK (octet_length(challenge) = 32),
        created_at    TIMESTAMPTZ NOT NULL,
        expires_at    TIMESTAMPTZ NOT NULL,
        used_at       TIMESTAMPTZ
      )`);
    await q.query(`CREATE INDEX login_challenge_expires ON login_challenge (expires_at)`);
  }
}
