import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The handset each SIM is in (IMEI + device public key; only that handset may use the handset channel), the nonces of
 * recent handset requests (replay protection while their timestamps are fresh), and the owner of each open channel:
 * the handset and its OMAPI session. Open channels are transient card state; they are dropped here, as a card reset.
 */
export class HandsetBinding1700000000210 implements MigrationInterface {
  name = 'HandsetBinding1700000000210';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE handset_binding (
        iccid              TEXT PRIMARY KEY REFERENCES sim (iccid),
        imei               TEXT NOT NULL CHECK (imei ~ '^[0-9]{15}$'),
        -- base64 DER SubjectPublicKeyInfo (Ed25519); the private key never leaves the phone
        device_public_key  TEXT NOT NULL,
        bound_at           TIMESTAMPTZ NOT NULL,
        bound_by           TEXT NOT NULL
      )`);
    await q.query(`
      CREATE TABLE handset_request_nonce (
        iccid       TEXT NOT NULL,
        nonce       TEXT NOT NULL,
        -- the request's timestamp + the freshness window: after that the timestamp alone refuses a replay
        expires_at  TIMESTAMPTZ NOT NULL,
        PRIMARY KEY (iccid, nonce)
      )`);
    await q.query(`CREATE INDEX handset_request_nonce_expiry ON handset_request_nonce (expires_at)`);
    await q.query(`DELETE FROM handset_channel`);
    await q.query(`
      ALTER TABLE handset_channel
        ADD COLUMN imei          TEXT NOT NULL,
        ADD COLUMN session       TEXT NOT NULL,
        ADD COLUMN last_used_at  TIMESTAMPTZ NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM handset_channel`);
    await q.query(`ALTER TABLE handset_channel DROP COLUMN imei, DROP COLUMN session, DROP COLUMN last_used_at`);
    await q.query(`DROP TABLE IF EXISTS handset_request_nonce`);
    await q.query(`DROP TABLE IF EXISTS handset_binding`);
  }
}
