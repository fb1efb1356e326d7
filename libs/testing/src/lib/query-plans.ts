import { Client } from 'pg';
import { testDatabaseUrl } from './test-run';

export interface RecordedStatement {
  readonly sql: string;
  readonly values: readonly unknown[];
}

export interface StatementWithoutIndex {
  readonly sql: string;
  /** The relations PostgreSQL can only read by scanning them whole. */
  readonly scanned: readonly string[];
}

/**
 * Records the statements this process sends to PostgreSQL through `pg` (a service running in the test's process),
 * the first of each text with its values, until `stop()`.
 */
export function recordStatements(): { stop(): RecordedStatement[] } {
  const prototype = Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = prototype.query;
  const recorded = new Map<string, RecordedStatement>();
  prototype.query = function (this: Client, config: unknown, values?: unknown, ...rest: unknown[]) {
    const sql = typeof config === 'string' ? config : (config as { text?: string } | undefined)?.text;
    const given = Array.isArray(values) ? values : ((config as { values?: unknown[] } | undefined)?.values ?? []);
    if (sql && !recorded.has(sql)) recorded.set(sql, { sql, values: given });
    return original.call(this, config, values, ...rest);
  };
  return {
    stop: () => {
      prototype.query = original;
      return [...recorded.values()];
    },
  };
}

/**
 * The statements among `statements` that no index can serve: planned in `schema` with sequential scans disabled, a
 * `Seq Scan` left in the plan means the table would be read whole, each time, however large it grows. Statements that
 * read no table (BEGIN, COMMIT, SET, pg_notify) are skipped; `wholeTableReads` lists statements that read a whole
 * table on purpose (housekeeping), by a fragment of their text.
 */
export async function statementsWithoutIndex(
  schema: string,
  statements: readonly RecordedStatement[],
  wholeTableReads: readonly string[] = [],
): Promise<StatementWithoutIndex[]> {
  const db = new Client({ connectionString: testDatabaseUrl(), options: `-c search_path=${schema} -c enable_seqscan=off` });
  await db.connect();
  try {
    const found: StatementWithoutIndex[] = [];
    for (const { sql, values } of statements) {
      if (!/^\s*(SELECT|WITH|UPDATE|DELETE|INSERT)\b/i.test(sql) || wholeTableReads.some((fragment) => sql.includes(fragment))) continue;
      const { rows } = await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, [...values]);
      const scanned = rows.flatMap((row) => /Seq Scan on (\S+)/.exec(row['QUERY PLAN'])?.[1] ?? []);
      if (scanned.length > 0) found.push({ sql: sql.replace(/\s+/g, ' ').trim(), scanned });
    }
    return found;
  } finally {
    await db.end();
  }
}
