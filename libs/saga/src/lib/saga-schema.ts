import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Saga instances, the replies they wait for, and their transition history (in the owner's schema). */
export class CreateSagaTables1700000000100 implements MigrationInterface {
  name = 'CreateSagaTables1700000000100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE saga (
        id                TEXT PRIMARY KEY,
        kind              TEXT NOT NULL,
        state             TEXT NOT NULL,
        step              TEXT,
        status            TEXT NOT NULL CHECK (status IN ('running', 'compensating', 'completed', 'failed')),
        data              JSONB NOT NULL,
        attempt           INT NOT NULL DEFAULT 0,
        compensation_from INT,
        failure_reason    TEXT,
        failure_detail    TEXT,
        next_run_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
        step_deadline     TIMESTAMPTZ,
        lease_owner       TEXT,
        lease_until       TIMESTAMPTZ,
        version           INT NOT NULL DEFAULT 0,
        created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
        updated_at        TIMESTAMPTZ NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX saga_runnable ON saga (next_run_at) WHERE status IN ('running', 'compensating')`);
    await q.query(`
      CREATE TABLE saga_reply (
        correlation_key TEXT PRIMARY KEY,
        saga_id         TEXT,
        message_type    TEXT NOT NULL,
        payload         JSONB NOT NULL,
        received_at     TIMESTAMPTZ NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE saga_history (
        id         BIGSERIAL PRIMARY KEY,
        saga_id    TEXT NOT NULL REFERENCES saga (id) ON DELETE CASCADE,
        at         TIMESTAMPTZ NOT NULL DEFAULT now(),
        step       TEXT,
        attempt    INT NOT NULL,
        from_state TEXT NOT NULL,
        to_state   TEXT NOT NULL,
        outcome    TEXT NOT NULL,
        detail     TEXT
      )`);
    await q.query(`CREATE INDEX saga_history_by_saga ON saga_history (saga_id, id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS saga_history`);
    await q.query(`DROP TABLE IF EXISTS saga_reply`);
    await q.query(`DROP TABLE IF EXISTS saga`);
  }
}

/** The trace context of the request or message that created a saga: its steps join that trace. */
export class SagaTraceparent1700000000110 implements MigrationInterface {
  name = 'SagaTraceparent1700000000110';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE saga ADD COLUMN traceparent TEXT`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE saga DROP COLUMN traceparent`);
  }
}

/**
 * Every change of a saga's version or status is announced on the schema's saga channel as `changed:<id>`, from the
 * database itself, so whoever follows a saga (a long-polling client) learns of it whichever runner made the change.
 */
export class SagaChangeNotify1700000000120 implements MigrationInterface {
  name = 'SagaChangeNotify1700000000120';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION saga_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify(TG_TABLE_SCHEMA || '_saga', 'changed:' || NEW.id);
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER saga_change_notify AFTER UPDATE ON saga FOR EACH ROW
        WHEN (OLD.version IS DISTINCT FROM NEW.version OR OLD.status IS DISTINCT FROM NEW.status)
        EXECUTE FUNCTION saga_notify_change()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER IF EXISTS saga_change_notify ON saga`);
    await q.query(`DROP FUNCTION IF EXISTS saga_notify_change()`);
  }
}

/** The saga tables' migrations in order, for a service's migration list. */
export const sagaMigrations = [CreateSagaTables1700000000100, SagaTraceparent1700000000110, SagaChangeNotify1700000000120];
