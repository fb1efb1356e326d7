import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Ticketless service state: single-use challenges (purchase and gate), tickets bound to the holder's
 * certificate (serial + SPKI hash + the certificate itself, so a gate needs nothing from the holder but
 * a signature), gates with their mode and their cached CRLs (with the trust anchors: an offline gate is
 * self-contained), every entry attempt, and the operator audit trail.
 */
export class CreateRpTicketingTables1700000007700 implements MigrationInterface {
  name = 'CreateRpTicketingTables1700000007700';

  async up(q: QueryRunner): Promise<void> {
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
    await q.query(`
      CREATE TABLE ticket (
        ticket_id           UUID PRIMARY KEY,
        event_id            TEXT NOT NULL,
        holder_serial       TEXT NOT NULL,
        holder_spki_sha256  TEXT NOT NULL,
        holder_subject      TEXT NOT NULL,
        holder_certificate  BYTEA NOT NULL,
        purchased_at        TIMESTAMPTZ NOT NULL,
        status              TEXT NOT NULL CHECK (status IN ('valid', 'used')),
        used_at             TIMESTAMPTZ,
        used_gate_id        TEXT,
        entry_id            UUID
      )`);
    await q.query(`CREATE INDEX ticket_valid_by_holder ON ticket (holder_spki_sha256, event_id) WHERE status = 'valid'`);
    await q.query(`
      CREATE TABLE gate (
        gate_id              TEXT PRIMARY KEY,
        event_id             TEXT NOT NULL,
        mode                 TEXT NOT NULL CHECK (mode IN ('online', 'offline')),
        crl_max_age_seconds  INTEGER NOT NULL CHECK (crl_max_age_seconds > 0),
        created_at           TIMESTAMPTZ NOT NULL,
        updated_at           TIMESTAMPTZ NOT NULL
      )`);
    await q.query(`
      CREATE TABLE gate_crl (
        gate_id                    TEXT PRIMARY KEY REFERENCES gate (gate_id),
        trust_root                 BYTEA NOT NULL,
        trust_user_authentication  BYTEA NOT NULL,
        root_crl                   BYTEA NOT NULL,
        complete_crl               BYTEA NOT NULL,
        delta_crl                  BYTEA,
        crl_number                 TEXT NOT NULL,
        this_update                TIMESTAMPTZ NOT NULL,
        next_update                TIMESTAMPTZ,
        revoked_entries            INTEGER NOT NULL,
        fetched_at                 TIMESTAMPTZ NOT NULL,
        last_sync_kind             TEXT NOT NULL,
        last_sync_bytes            INTEGER NOT NULL
      )`);
    await q.query(`
      CREATE TABLE entry_attempt (
        entry_id            UUID PRIMARY KEY,
        gate_id             TEXT NOT NULL,
        at                  TIMESTAMPTZ NOT NULL,
        mode                TEXT NOT NULL,
        ticket_id           UUID,
        certificate_serial  TEXT,
        -- ADMITTED or the refusal reason
        outcome             TEXT NOT NULL,
        detail              TEXT,
        status_source       TEXT,
        crl_number          TEXT
      )`);
    await q.query(`CREATE INDEX entry_attempt_gate ON entry_attempt (gate_id, at)`);
    await q.query(`
      CREATE TABLE audit_log (
        id       BIGSERIAL PRIMARY KEY,
        at       TIMESTAMPTZ NOT NULL,
        actor    TEXT NOT NULL,
        action   TEXT NOT NULL,
        gate_id  TEXT,
        details  JSONB NOT NULL DEFAULT '{}'
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['audit_log', 'entry_attempt', 'gate_crl', 'gate', 'ticket', 'challenge']) {
      await q.query(`DROP TABLE IF EXISTS ${table}`);
    }
  }
}
