import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The CA's tables. Only the storage layer (storage/ca-store.ts) writes them. Certificates are keyed by
 * serial (upper-case hex); every status change bumps `status_version` from one sequence and notifies
 * `<schema>_ca`, which every replica LISTENs to (OCSP cache invalidation, CRL regeneration, OCSP pre-signing).
 */
export class CreateCaTables1700000001000 implements MigrationInterface {
  name = 'CreateCaTables1700000001000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE ca_authority (
        ca_id               TEXT PRIMARY KEY,
        generation          INT NOT NULL DEFAULT 1,
        serial              TEXT NOT NULL,
        certificate         BYTEA NOT NULL,
        sealed_private_key  TEXT NOT NULL,
        not_before          TIMESTAMPTZ NOT NULL,
        not_after           TIMESTAMPTZ NOT NULL,
        created_at          TIMESTAMPTZ NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE person (
        person_id             UUID PRIMARY KEY,
        sealed_personal_data  TEXT NOT NULL,
        created_at            TIMESTAMPTZ NOT NULL
      )`);
    await q.query(`CREATE SEQUENCE status_version_seq`);
    await q.query(`
      CREATE TABLE issuance (
        request_id               TEXT PRIMARY KEY,
        request_digest           TEXT NOT NULL,
        serial                   TEXT NOT NULL UNIQUE,
        issuer_ca                TEXT NOT NULL,
        kind                     TEXT NOT NULL,
        person_id                UUID NOT NULL REFERENCES person,
        enrollment_id            TEXT,
        device                   JSONB,
        key_mode                 TEXT NOT NULL CHECK (key_mode IN ('csr', 'ca-generated', 'card')),
        subject_public_key_info  BYTEA NOT NULL,
        tbs_certificate          BYTEA NOT NULL,
        linting_certificate      BYTEA NOT NULL,
        lint_findings            JSONB NOT NULL DEFAULT '[]',
        card_not_after           TIMESTAMPTZ,
        not_before               TIMESTAMPTZ NOT NULL,
        not_after                TIMESTAMPTZ NOT NULL,
        delivered_key            JSONB,
        state                    TEXT NOT NULL CHECK (state IN ('allocated', 'issued', 'failed')),
        failure_reason           TEXT,
        failure_detail           TEXT,
        superseded_serials       TEXT[] NOT NULL DEFAULT '{}',
        allocated_at             TIMESTAMPTZ NOT NULL DEFAULT now(),
        completed_at             TIMESTAMPTZ
      )`);
    await q.query(`
      CREATE TABLE certificate (
        serial             TEXT PRIMARY KEY REFERENCES issuance (serial),
        issuer_ca          TEXT NOT NULL,
        kind               TEXT NOT NULL CHECK (kind IN ('card-signing', 'card-user-authentication', 'phone-user-authentication')),
        person_id          UUID NOT NULL REFERENCES person,
        request_id         TEXT NOT NULL UNIQUE,
        enrollment_id      TEXT,
        device             JSONB,
        iccid              TEXT,
        der                BYTEA NOT NULL,
        spki_sha256        TEXT NOT NULL,
        not_before         TIMESTAMPTZ NOT NULL,
        not_after          TIMESTAMPTZ NOT NULL,
        issued_at          TIMESTAMPTZ NOT NULL,
        status             TEXT NOT NULL DEFAULT 'good' CHECK (status IN ('good', 'on-hold', 'revoked')),
        revocation_reason  TEXT,
        revoked_at         TIMESTAMPTZ,
        status_version     BIGINT NOT NULL DEFAULT nextval('status_version_seq'),
        CHECK ((status = 'good') = (revocation_reason IS NULL AND revoked_at IS NULL))
      )`);
    // One active phone per person, enforced by the database as well as by the RA.
    await q.query(
      `CREATE UNIQUE INDEX certificate_one_active_phone ON certificate (person_id) WHERE kind = 'phone-user-authentication' AND status <> 'revoked'`,
    );
    await q.query(`CREATE INDEX certificate_person ON certificate (person_id, kind)`);
    await q.query(`CREATE INDEX certificate_iccid ON certificate (iccid) WHERE iccid IS NOT NULL`);
    await q.query(`CREATE INDEX certificate_not_good ON certificate (issuer_ca) WHERE status <> 'good'`);
    await q.query(`CREATE INDEX certificate_spki ON certificate (spki_sha256)`);
    await q.query(`
      CREATE TABLE status_change (
        id              BIGSERIAL PRIMARY KEY,
        serial          TEXT NOT NULL REFERENCES certificate,
        issuer_ca       TEXT NOT NULL,
        status          TEXT NOT NULL,
        reason          TEXT,
        changed_at      TIMESTAMPTZ NOT NULL,
        status_version  BIGINT NOT NULL,
        request_id      TEXT,
        actor           TEXT NOT NULL
      )`);
    await q.query(`CREATE INDEX status_change_ca ON status_change (issuer_ca, id)`);
    await q.query(`
      CREATE TABLE ocsp_response (
        serial          TEXT PRIMARY KEY REFERENCES certificate,
        status_version  BIGINT NOT NULL DEFAULT 0,
        cert_id         BYTEA,
        response        BYTEA,
        produced_at     TIMESTAMPTZ,
        next_update     TIMESTAMPTZ
      )`);
    await q.query(`
      CREATE TABLE crl (
        ca_id              TEXT NOT NULL,
        crl_number         BIGINT NOT NULL,
        base_crl_number    BIGINT,
        is_base            BOOLEAN NOT NULL,
        this_update        TIMESTAMPTZ NOT NULL,
        next_update        TIMESTAMPTZ NOT NULL,
        covered_change_id  BIGINT NOT NULL,
        entries            INT NOT NULL,
        der                BYTEA NOT NULL,
        created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
        PRIMARY KEY (ca_id, crl_number)
      )`);
    await q.query(`
      CREATE TABLE proofing (
        request_id  TEXT PRIMARY KEY,
        verified    BOOLEAN NOT NULL,
        reason      TEXT,
        person_id   UUID,
        outcome     JSONB NOT NULL,
        decided_at  TIMESTAMPTZ NOT NULL
      )`);
    await q.query(`
      CREATE TABLE proofing_nonce (
        nonce       TEXT PRIMARY KEY,
        request_id  TEXT NOT NULL,
        seen_at     TIMESTAMPTZ NOT NULL
      )`);
    await q.query(`
      CREATE TABLE revocation_request (
        request_id    TEXT PRIMARY KEY,
        command       TEXT NOT NULL,
        outcome       JSONB NOT NULL,
        processed_at  TIMESTAMPTZ NOT NULL
      )`);

    await q.query(`
      CREATE FUNCTION ca_notify_status() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        ca TEXT;
      BEGIN
        IF TG_TABLE_NAME = 'certificate' THEN
          ca := NEW.issuer_ca;
        ELSE
          ca := '*';
        END IF;
        PERFORM pg_notify(TG_TABLE_SCHEMA || '_ca', 'status:' || ca || ':' || NEW.serial);
        RETURN NULL;
      END $$`);
    await q.query(
      `CREATE TRIGGER certificate_notify AFTER INSERT OR UPDATE OF status, status_version ON certificate FOR EACH ROW EXECUTE FUNCTION ca_notify_status()`,
    );
    await q.query(`CREATE TRIGGER ocsp_response_notify AFTER UPDATE ON ocsp_response FOR EACH ROW EXECUTE FUNCTION ca_notify_status()`);
    await q.query(`
      CREATE FUNCTION ca_notify_crl() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify(TG_TABLE_SCHEMA || '_ca', 'crl:' || NEW.ca_id || ':' || NEW.crl_number);
        RETURN NULL;
      END $$`);
    await q.query(`CREATE TRIGGER crl_notify AFTER INSERT ON crl FOR EACH ROW EXECUTE FUNCTION ca_notify_crl()`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['crl', 'ocsp_response', 'status_change', 'certificate', 'issuance', 'proofing_nonce', 'proofing', 'revocation_request', 'person', 'ca_authority']) {
      await q.query(`DROP TABLE IF EXISTS ${table} CASCADE`);
    }
    await q.query(`DROP SEQUENCE IF EXISTS status_version_seq`);
    await q.query(`DROP FUNCTION IF EXISTS ca_notify_status()`);
    await q.query(`DROP FUNCTION IF EXISTS ca_notify_crl()`);
  }
}
