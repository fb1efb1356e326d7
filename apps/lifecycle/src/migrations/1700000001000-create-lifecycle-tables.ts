import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The lifecycle service's read model (persons, SIMs, phones, phone certificates), its cases (one persisted saga
 * each, in the saga tables) and the operator audit log.
 */
export class CreateLifecycleTables1700000001000 implements MigrationInterface {
  name = 'CreateLifecycleTables1700000001000';

  async up(q: QueryRunner): Promise<void> {
    // One row per person: the per-person lock, and whether they must apply again on a phone.
    await q.query(`
      CREATE TABLE person (
        person_id              UUID PRIMARY KEY,
        reenrollment_required  BOOLEAN NOT NULL DEFAULT false,
        reenrollment_cause     TEXT,
        updated_at             TIMESTAMPTZ NOT NULL DEFAULT now()
      )`);
    // One row per SIM: the per-phone lock; a closed SIM (contract ended, swapped out) never carries a live certificate.
    await q.query(`
      CREATE TABLE sim (
        iccid          TEXT PRIMARY KEY,
        carrier        TEXT,
        msisdn         TEXT,
        imei           TEXT,
        closed_at      TIMESTAMPTZ,
        closed_reason  TEXT CHECK (closed_reason IN ('contract-ended', 'sim-swapped')),
        replaced_by    TEXT,
        updated_at     TIMESTAMPTZ NOT NULL DEFAULT now()
      )`);
    // A phone = one enrollment on one device; renewal changes its serial, not its identity.
    await q.query(`
      CREATE TABLE phone (
        enrollment_id      TEXT PRIMARY KEY,
        person_id          UUID NOT NULL,
        device_kind        TEXT NOT NULL CHECK (device_kind IN ('sim', 'iphone')),
        iccid              TEXT,
        device_id          TEXT,
        msisdn             TEXT,
        carrier            TEXT,
        mvno               TEXT,
        key_mode           TEXT,
        serial             TEXT NOT NULL,
        not_after          TIMESTAMPTZ,
        cert_status        TEXT NOT NULL DEFAULT 'good' CHECK (cert_status IN ('good', 'on-hold', 'revoked')),
        revocation_reason  TEXT,
        service_state      TEXT NOT NULL DEFAULT 'provisioning'
                           CHECK (service_state IN ('provisioning', 'operational', 'suspended', 'terminated', 'none')),
        pending_operation  TEXT,
        lost               BOOLEAN NOT NULL DEFAULT false,
        expired_notified   BOOLEAN NOT NULL DEFAULT false,
        created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
        updated_at         TIMESTAMPTZ NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX phone_iccid ON phone (iccid, created_at DESC)`);
    await q.query(`CREATE INDEX phone_person ON phone (person_id, created_at DESC)`);
    await q.query(`CREATE INDEX phone_msisdn ON phone (msisdn, created_at DESC)`);
    await q.query(`CREATE UNIQUE INDEX phone_serial ON phone (serial)`);
    await q.query(`CREATE INDEX phone_renewal ON phone (not_after) WHERE cert_status = 'good' AND service_state = 'operational'`);
    // Every phone certificate seen, renewed ones included (lookups by an old serial).
    await q.query(`
      CREATE TABLE phone_certificate (
        serial             TEXT PRIMARY KEY,
        enrollment_id      TEXT NOT NULL,
        person_id          UUID NOT NULL,
        status             TEXT NOT NULL DEFAULT 'good' CHECK (status IN ('good', 'on-hold', 'revoked')),
        revocation_reason  TEXT,
        not_after          TIMESTAMPTZ,
        changed_at         TIMESTAMPTZ,
        created_at         TIMESTAMPTZ NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX phone_certificate_enrollment ON phone_certificate (enrollment_id)`);
    await q.query(`
      CREATE TABLE lifecycle_case (
        id                 TEXT PRIMARY KEY,
        kind               TEXT NOT NULL,
        status             TEXT NOT NULL CHECK (status IN ('open', 'waiting-device', 'completed', 'failed')),
        step               TEXT,
        trigger            TEXT NOT NULL CHECK (trigger IN ('operator', 'carrier', 'ca', 'sp-tsm', 'schedule')),
        opened_by          TEXT NOT NULL,
        reason             TEXT,
        revocation_reason  TEXT,
        person_id          UUID,
        enrollment_id      TEXT,
        serial             TEXT,
        iccid              TEXT,
        msisdn             TEXT,
        carrier            TEXT,
        ca_outcome         TEXT NOT NULL,
        sp_outcome         TEXT NOT NULL,
        sp_requests        TEXT[] NOT NULL DEFAULT '{}',
        sp_outcomes        JSONB NOT NULL DEFAULT '{}',
        result             JSONB NOT NULL DEFAULT '{}',
        failure_reason     TEXT,
        failure_detail     TEXT,
        opened_at          TIMESTAMPTZ NOT NULL,
        closed_at          TIMESTAMPTZ,
        created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
        updated_at         TIMESTAMPTZ NOT NULL DEFAULT now()
      )`);
    // At most one operator case (loss, found, revocation) running per phone, whatever the race.
    await q.query(
      `CREATE UNIQUE INDEX case_one_open_operator_case ON lifecycle_case (enrollment_id) WHERE status = 'open' AND kind IN ('loss', 'found', 'revocation')`,
    );
    await q.query(`CREATE INDEX case_enrollment ON lifecycle_case (enrollment_id, created_at DESC)`);
    await q.query(`CREATE INDEX case_person ON lifecycle_case (person_id, created_at DESC)`);
    await q.query(`CREATE INDEX case_iccid ON lifecycle_case (iccid, created_at DESC)`);
    await q.query(`CREATE INDEX case_serial ON lifecycle_case (serial, kind)`);
    await q.query(`CREATE INDEX case_sp_requests ON lifecycle_case USING gin (sp_requests)`);
    await q.query(`
      CREATE TABLE operator_audit (
        id              BIGSERIAL PRIMARY KEY,
        occurred_at     TIMESTAMPTZ NOT NULL,
        recorded_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
        actor           TEXT NOT NULL,
        roles           TEXT[] NOT NULL DEFAULT '{}',
        action          TEXT NOT NULL,
        target          TEXT,
        reason          TEXT,
        outcome         TEXT NOT NULL,
        status_code     INT,
        case_id         TEXT,
        correlation_id  TEXT,
        details         JSONB NOT NULL DEFAULT '{}'
      )`);
    await q.query(`CREATE INDEX operator_audit_actor ON operator_audit (actor, id)`);
    await q.query(`CREATE INDEX operator_audit_case ON operator_audit (case_id) WHERE case_id IS NOT NULL`);
    // The audit log is append-only.
    await q.query(`
      CREATE FUNCTION operator_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'operator_audit is append-only';
      END $$`);
    await q.query(
      `CREATE TRIGGER operator_audit_no_change BEFORE UPDATE OR DELETE ON operator_audit FOR EACH ROW EXECUTE FUNCTION operator_audit_append_only()`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['operator_audit', 'lifecycle_case', 'phone_certificate', 'phone', 'sim', 'person']) await q.query(`DROP TABLE IF EXISTS ${table} CASCADE`);
    await q.query(`DROP FUNCTION IF EXISTS operator_audit_append_only()`);
  }
}
