import { Client } from 'pg';
import { testDatabaseUrl } from './test-run';

export interface ColumnShape {
  table: string;
  column: string;
  type: string;
  nullable: boolean;
}

/** The columns of `tables` in `schema` as information_schema describes them (name, type, nullability), sorted. */
export async function columnsOf(schema: string, tables: readonly string[]): Promise<ColumnShape[]> {
  const db = new Client({ connectionString: testDatabaseUrl() });
  await db.connect();
  try {
    const { rows } = await db.query(
      `SELECT table_name AS table, column_name AS column, data_type AS type, is_nullable = 'YES' AS nullable
         FROM information_schema.columns WHERE table_schema = $1 AND table_name = ANY($2) ORDER BY table_name, column_name`,
      [schema, tables],
    );
    return rows;
  } finally {
    await db.end();
  }
}
