import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The outbox and inbox tables, created in the owning service's schema by its migrations.
 * An insert into the outbox notifies `<schema>_outbox` so the relay publishes within milliseconds.
 */
export function outboxChannel(schema: string): string {
  return `${schema}_outbox`;
}

export class CreateMessagingTables1700000000000 implements MigrationInterface {
  name = 'CreateMessagingTables1700000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE outbox (
        id            BIGSERIAL PRIMARY KEY,
        message_id    UUID NOT NULL UNIQUE,
        topic         TEXT NOT NULL,
        message_key   TEXT NOT NULL,
        message_type  TEXT NOT NULL,
        headers       JSONB NOT NULL,
        body          TEXT NOT NULL,
        created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
        published_at  TIMESTAMPTZ
      )`);
    await q.query(`CREATE INDEX outbox_unpublished ON outbox (id) WHERE published_at IS NULL`);
    await q.query(`
      CREATE TABLE inbox (
        consumer      TEXT NOT NULL,
        message_id    UUID NOT NULL,
        message_type  TEXT NOT NULL,
        processed_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
        PRIMARY KEY (consumer, message_id)
      )`);
    await q.query(`
      CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify(TG_TABLE_SCHEMA || '_outbox', '');
        RETURN NULL;
      END $$`);
    await q.query(`CREATE TRIGGER outbox_notify AFTER INSERT ON outbox FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER IF EXISTS outbox_notify ON outbox`);
    await q.query(`DROP FUNCTION IF EXISTS outbox_notify()`);
    await q.query(`DROP TABLE IF EXISTS inbox`);
    await q.query(`DROP TABLE IF EXISTS outbox`);
  }
}
