import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The bank's state: single-use login challenges, accounts (one per certificate subject; synthetic),
 * sessions bound to a certificate (serial + SPKI hash; only the SHA-256 of the token is stored), the
 * last status the CA announced per certificate, and every login attempt with its outcome.
 */
export class CreateRpBankTables1700000007600 implements MigrationInterface {
  name = 'CreateRpBankTables1700000007600';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE login_challenge (
        challenge_id  UUID PRIMARY KEY,
        challenge     BYTEA NOT NULL CHECK (octet_length(challenge) = 32),
        created_at    TIMESTAMPTZ NOT NULL,
        expires_at    TIMESTAMPTZ NOT NULL,
        -- set once, by UPDATE … WHERE used_at IS NULL: a second use is a replay
        used_at       TIMESTAMPTZ
      )`);
    await q.query(`CREATE INDEX login_challenge_expires ON login_challenge (expires_at)`);
    await q.query(`
      CREATE TABLE account (
        account_id      UUID PRIMARY KEY,
        holder_subject  TEXT NOT NULL UNIQUE,
        opened_at       TIMESTAMPTZ NOT NULL,
        balance_yen     BIGINT NOT NULL
      )`);
    await q.query(`
      CREATE TABLE session (
        session_id          UUID PRIMARY KEY,
        token_sha256        BYTEA NOT NULL UNIQUE,
        account_id          UUID NOT NULL REFERENCES account (account_id),
        certificate_serial  TEXT NOT NULL,
        spki_sha256         TEXT NOT NULL,
        certificate         BYTEA NOT NULL,
        created_at          TIMESTAMPTZ NOT NULL,
        expires_at          TIMESTAMPTZ NOT NULL,
        status_checked_at   TIMESTAMPTZ NOT NULL,
        ended_at            TIMESTAMPTZ,
        -- LOGOUT, CERTIFICATE_ON_HOLD, CERTIFICATE_REVOKED, …
        end_reason          TEXT,
        end_detail          TEXT
      )`);
    await q.query(`CREATE INDEX session_active_by_serial ON session (certificate_serial) WHERE ended_at IS NULL`);
    await q.query(`
      CREATE TABLE certificate_status (
        serial      TEXT PRIMARY KEY,
        status      TEXT NOT NULL CHECK (status IN ('good', 'revoked', 'on-hold')),
        reason      TEXT,
        changed_at  TIMESTAMPTZ NOT NULL,
        received_at TIMESTAMPTZ NOT NULL
      )`);
    await q.query(`
      CREATE TABLE login_attempt (
        id                  BIGSERIAL PRIMARY KEY,
        at                  TIMESTAMPTZ NOT NULL,
        challenge_id        UUID,
        certificate_serial  TEXT,
        -- OK or the refusal reason
        outcome             TEXT NOT NULL,
        detail              TEXT,
        session_id          UUID
      )`);
    await q.query(`CREATE INDEX login_attempt_serial ON login_attempt (certificate_serial, at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['login_attempt', 'certificate_status', 'session', 'account', 'login_challenge']) {
      await q.query(`DROP TABLE IF EXISTS ${table}`);
    }
  }
}
