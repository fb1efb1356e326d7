import { DataSource, type DataSourceOptions, type MigrationInterface } from 'typeorm';

type MigrationClass = new () => MigrationInterface;

export interface DatabaseSettings {
  url: string;
  schema: string;
  entities: NonNullable<DataSourceOptions['entities']>;
  migrations: MigrationClass[];
  poolSize?: number;
}

/** One schema per service; unqualified SQL (outbox, inbox, raw queries) resolves to it. */
export function dataSourceOptions(s: DatabaseSettings): DataSourceOptions {
  return {
    type: 'postgres',
    url: s.url,
    schema: s.schema,
    entities: s.entities,
    migrations: s.migrations,
    migrationsTableName: 'migrations',
    migrationsRun: false,
    synchronize: false,
    extra: { options: `-c search_path=${s.schema}`, max: s.poolSize ?? 10 },
  };
}

/**
 * Creates the schema when it does not exist yet and applies pending migrations under an advisory lock, so replicas
 * starting together migrate once. A schema created beforehand and owned by the service's role (the Kubernetes
 * manifests do this) needs no CREATE right on the database: PostgreSQL checks that right for CREATE SCHEMA even with
 * IF NOT EXISTS, so the statement is not run at all then.
 */
export async function migrateDatabase(s: DatabaseSettings): Promise<string[]> {
  const ds = new DataSource({ ...dataSourceOptions(s), extra: { options: `-c search_path=${s.schema}`, max: 1 } });
  await ds.initialize();
  try {
    // Lock first: replicas starting together would otherwise race on CREATE SCHEMA itself.
    await ds.query(`SELECT pg_advisory_lock(hashtext($1))`, [`${s.schema}.migrations`]);
    const [{ present }]: { present: boolean }[] = await ds.query(`SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1) AS present`, [s.schema]);
    if (!present) await ds.query(`CREATE SCHEMA "${s.schema}"`);
    try {
      const applied = await ds.runMigrations({ transaction: 'each' });
      return applied.map((m) => m.name);
    } finally {
      await ds.query(`SELECT pg_advisory_unlock(hashtext($1))`, [`${s.schema}.migrations`]);
    }
  } finally {
    await ds.destroy();
  }
}
