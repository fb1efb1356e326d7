import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Append-only, hash-chained audit log. The database itself chains the rows (BEFORE INSERT trigger under a
 * transaction-scoped advisory lock, so concurrent writers serialise and `seq` order is chain order), refuses
 * UPDATE/DELETE/TRUNCATE, and `audit_log_verify()` recomputes the chain. Tampering needs superuser rights to
 * disable the trigger, and is then detected by the verification.
 *
 * hash(n) = SHA-256(prev_hash(n) ‖ UTF-8(seq \n occurred_at \n recorded_at \n actor \n action \n subject \n details)),
 * prev_hash(1) = 32 zero bytes.
 */
export class CreateAuditLog1700000001100 implements MigrationInterface {
  name = 'CreateAuditLog1700000001100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE SEQUENCE audit_log_seq`);
    await q.query(`
      CREATE TABLE audit_log (
        seq          BIGINT PRIMARY KEY,
        occurred_at  TIMESTAMPTZ NOT NULL,
        recorded_at  TIMESTAMPTZ NOT NULL,
        actor        TEXT NOT NULL,
        action       TEXT NOT NULL,
        subject      TEXT,
        details      JSONB NOT NULL DEFAULT '{}',
        prev_hash    BYTEA NOT NULL,
        hash         BYTEA NOT NULL
      )`);
    await q.query(`
      CREATE FUNCTION audit_log_entry_hash(prev BYTEA, seq BIGINT, occurred_at TIMESTAMPTZ, recorded_at TIMESTAMPTZ,
                                           actor TEXT, action TEXT, subject TEXT, details JSONB)
      RETURNS BYTEA LANGUAGE sql STABLE SET search_path FROM CURRENT AS $$
        SELECT sha256(prev || convert_to(
          seq::text || E'\\n' ||
          to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') || E'\\n' ||
          to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') || E'\\n' ||
          actor || E'\\n' || action || E'\\n' || coalesce(subject, '') || E'\\n' || details::text, 'UTF8'))
      $$`);
    await q.query(`
      CREATE FUNCTION audit_log_chain() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
      DECLARE
        last BYTEA;
      BEGIN
        PERFORM pg_advisory_xact_lock(hashtext(TG_TABLE_SCHEMA || '.audit_log'));
        SELECT hash INTO last FROM audit_log ORDER BY seq DESC LIMIT 1;
        NEW.seq := nextval('audit_log_seq');
        NEW.recorded_at := clock_timestamp();
        NEW.occurred_at := coalesce(NEW.occurred_at, NEW.recorded_at);
        NEW.details := coalesce(NEW.details, '{}'::jsonb);
        NEW.prev_hash := coalesce(last, decode(repeat('00', 32), 'hex'));
        NEW.hash := audit_log_entry_hash(NEW.prev_hash, NEW.seq, NEW.occurred_at, NEW.recorded_at, NEW.actor, NEW.action, NEW.subject, NEW.details);
        RETURN NEW;
      END $$`);
    await q.query(`CREATE TRIGGER audit_log_chain BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_chain()`);
    await q.query(`
      CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'audit_log is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await q.query(
      `CREATE TRIGGER audit_log_immutable BEFORE UPDATE OR DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change()`,
    );
    await q.query(
      `CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change()`,
    );
    await q.query(`
      CREATE FUNCTION audit_log_verify()
      RETURNS TABLE (valid BOOLEAN, entries BIGINT, first_invalid_seq BIGINT, problem TEXT, head_seq BIGINT, head_hash BYTEA)
      LANGUAGE plpgsql STABLE SET search_path FROM CURRENT AS $$
      DECLARE
        r RECORD;
        expected_prev BYTEA := decode(repeat('00', 32), 'hex');
        n BIGINT := 0;
      BEGIN
        FOR r IN SELECT * FROM audit_log ORDER BY seq LOOP
          n := n + 1;
          IF r.prev_hash IS DISTINCT FROM expected_prev THEN
            RETURN QUERY SELECT false, n, r.seq, 'prev_hash does not match the previous entry (entry removed or reordered)'::text, r.seq, r.hash;
            RETURN;
          END IF;
          IF r.hash IS DISTINCT FROM audit_log_entry_hash(r.prev_hash, r.seq, r.occurred_at, r.recorded_at, r.actor, r.action, r.subject, r.details) THEN
            RETURN QUERY SELECT false, n, r.seq, 'hash does not match the entry content (entry modified)'::text, r.seq, r.hash;
            RETURN;
          END IF;
          expected_prev := r.hash;
          head_seq := r.seq;
        END LOOP;
        RETURN QUERY SELECT true, n, NULL::BIGINT, NULL::text, head_seq, CASE WHEN n = 0 THEN NULL ELSE expected_prev END;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS audit_log`);
    await q.query(`DROP FUNCTION IF EXISTS audit_log_verify()`);
    await q.query(`DROP FUNCTION IF EXISTS audit_log_refuse_change()`);
    await q.query(`DROP FUNCTION IF EXISTS audit_log_chain()`);
    await q.query(`DROP FUNCTION IF EXISTS audit_log_entry_hash(BYTEA, BIGINT, TIMESTAMPTZ, TIMESTAMPTZ, TEXT, TEXT, TEXT, JSONB)`);
    await q.query(`DROP SEQUENCE IF EXISTS audit_log_seq`);
  }
}
