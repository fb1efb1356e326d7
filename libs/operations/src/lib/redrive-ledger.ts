import { Pool } from 'pg';
import { createSchemaIfMissing } from '@jpki/service-kit';

export interface RedriveRecord {
  deadLetterId: string;
  messageId: string | null;
  originalTopic: string;
  operator: string;
  redrivenAt: string;
}

interface Redrivable {
  id: string;
  messageId: string | null;
  originalTopic: string;
}

/**
 * What operators redrove, in PostgreSQL (schema `ops` by default): one row per dead letter and environment prefix.
 * The row is inserted in the same transaction that waits for the broker's acknowledgement of the copy, so a failed
 * publish leaves no record and a second redrive of the same dead letter finds the first one.
 */
export class RedriveLedger {
  private readonly pool: Pool;

  constructor(
    databaseUrl: string,
    private readonly schema = 'ops',
  ) {
    if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`invalid ledger schema name ${schema}`);
    this.pool = new Pool({ connectionString: databaseUrl, max: 2 });
  }

  private get table(): string {
    return `"${this.schema}".dlq_redrive`;
  }

  async ensure(): Promise<void> {
    await this.pool.query(createSchemaIfMissing(this.schema));
    await this.pool.query(`
      CREATE TABLE IF NOT EXISTS ${this.table} (
        topic_prefix     TEXT NOT NULL,
        dead_letter_id   TEXT NOT NULL,
        message_id       TEXT,
        original_topic   TEXT NOT NULL,
        operator         TEXT NOT NULL,
        redriven_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
        PRIMARY KEY (topic_prefix, dead_letter_id)
      )`);
  }

  async find(topicPrefix: string, deadLetterId: string): Promise<RedriveRecord | null> {
    const { rows } = await this.pool.query(`SELECT * FROM ${this.table} WHERE topic_prefix = $1 AND dead_letter_id = $2`, [topicPrefix, deadLetterId]);
    return rows[0] ? toRecord(rows[0]) : null;
  }

  /** Records the redrive and runs `publish` before committing; refuses (without publishing) one recorded before. */
  async claim(topicPrefix: string, letter: Redrivable, operator: string, publish: () => Promise<void>): Promise<{ claimed: true } | { claimed: false; previously?: RedriveRecord }> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const { rowCount } = await client.query(
        `INSERT INTO ${this.table} (topic_prefix, dead_letter_id, message_id, original_topic, operator) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
        [topicPrefix, letter.id, letter.messageId, letter.originalTopic, operator],
      );
      if (rowCount === 0) {
        await client.query('ROLLBACK');
        return { claimed: false, previously: (await this.find(topicPrefix, letter.id)) ?? undefined };
      }
      await publish();
      await client.query('COMMIT');
      return { claimed: true };
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

function toRecord(row: Record<string, unknown>): RedriveRecord {
  return {
    deadLetterId: String(row['dead_letter_id']),
    messageId: (row['message_id'] as string | null) ?? null,
    originalTopic: String(row['original_topic']),
    operator: String(row['operator']),
    redrivenAt: new Date(row['redriven_at'] as string).toISOString(),
  };
}
