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
 * The statements this process sends to PostgreSQL through `pg` while `flow` runs (a service running in the test's
 * process), the first of each text with its values.
 */
export async function statementsDuring(flow: () => Promise<unknown>): Promise<RecordedStatement[]> {
  const prototype = Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = prototype.query;
  const recorded = new Map<string, RecordedStatement>();
  prototype.query = function (this: Client, config: unknown, values?: unknown, ...rest: unknown[]) {
    const sql = typeof config === 'string' ? config : (config as { text?: string } | undefined)?.text;
    const given = Array.isArray(values) ? values : ((config as { values?: unknown[] } | undefined)?.values ?? []);
    if (sql && !recorded.has(sql)) recorded.set(sql, { sql, values: given });
    return original.call(this, config, values, ...rest);
  };
  try {
    await flow();
  } finally {
    prototype.query = original;
  }
  return [...recorded.values()];
}

/**
 * The statements among `statements` that no index can serve: planned in `schema` with sequential scans disabled, a
 * plan that still reads a table whole (a `Seq Scan`, or an index walked end to end: no index condition, not a partial
 * index, not cut short by a LIMIT) does so each time, however large the table grows. Statements that read no table
 * (BEGIN, COMMIT, SET, pg_notify) are skipped; `wholeTableReads` lists statements that read a whole table on purpose
 * (housekeeping, a table of a few rows), by a fragment of their text.
 */
export async function statementsWithoutIndex(
  schema: string,
  statements: readonly RecordedStatement[],
  wholeTableReads: readonly string[] = [],
): Promise<StatementWithoutIndex[]> {
  return withPlanner(schema, async (db) => {
    const partial = await partialIndexes(db, schema);
    const found: StatementWithoutIndex[] = [];
    for (const { sql, values } of statements) {
      if (!/^\s*(SELECT|WITH|UPDATE|DELETE|INSERT)\b/i.test(sql) || wholeTableReads.some((fragment) => sql.includes(fragment))) continue;
      const { rows } = await db.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(`EXPLAIN (FORMAT JSON) ${sql}`, [...values]);
      const scanned = wholeReads(rows[0]['QUERY PLAN'][0].Plan, partial, false);
      if (scanned.length > 0) found.push({ sql: sql.replace(/\s+/g, ' ').trim(), scanned });
    }
    return found;
  });
}

interface PlanNode {
  readonly 'Node Type': string;
  readonly 'Relation Name'?: string;
  readonly 'Index Name'?: string;
  readonly 'Index Cond'?: string;
  readonly Filter?: string;
  readonly Plans?: readonly PlanNode[];
}

function wholeReads(node: PlanNode, partial: ReadonlySet<string>, underLimit: boolean): string[] {
  const walksIndex = (node['Node Type'] === 'Index Scan' || node['Node Type'] === 'Index Only Scan') && !node['Index Cond'];
  const whole =
    node['Node Type'] === 'Seq Scan' || (walksIndex && !partial.has(node['Index Name'] ?? '') && !(underLimit && !node.Filter));
  const below = (node.Plans ?? []).flatMap((child) => wholeReads(child, partial, node['Node Type'] === 'Limit' || (underLimit && node['Node Type'] === 'LockRows')));
  return whole ? [node['Relation Name'] ?? '?', ...below] : below;
}

async function partialIndexes(db: Client, schema: string): Promise<Set<string>> {
  const { rows } = await db.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND i.indpred IS NOT NULL`,
    [schema],
  );
  return new Set(rows.map((row) => row.name));
}

/** The plan PostgreSQL makes for `statement` in `schema` with sequential scans disabled, as text. */
export function planOf(schema: string, statement: RecordedStatement): Promise<string> {
  return withPlanner(schema, async (db) => {
    const { rows } = await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${statement.sql}`, [...statement.values]);
    return rows.map((row) => row['QUERY PLAN']).join('\n');
  });
}

/** A connection to `schema` whose planner may not choose a sequential scan unless nothing else can serve a statement. */
async function withPlanner<T>(schema: string, work: (db: Client) => Promise<T>): Promise<T> {
  const db = new Client({ connectionString: testDatabaseUrl(), options: `-c search_path=${schema} -c enable_seqscan=off` });
  await db.connect();
  try {
    return await work(db);
  } finally {
    await db.end();
  }
}
