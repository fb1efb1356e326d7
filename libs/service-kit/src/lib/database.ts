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
 * One statement that creates a schema only when it is missing. PostgreSQL checks CREATE on the database for CREATE
 * SCHEMA even with IF NOT EXISTS; this runs CREATE SCHEMA only when the schema is not there, so a role that owns a
 * schema made for it beforehand (the Kubernetes manifests make every schema at the cluster's bootstrap) needs no right
 * on the database.
 */
export function createSchemaIfMissing(schema: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`schema name ${JSON.stringify(schema)}: lower-case letters, digits and _`);
  return `DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = '${schema}') THEN CREATE SCHEMA "${schema}"; END IF; END $$`;
}

/**
 * Creates the schema when it does not exist yet and applies pending migrations under an advisory lock, so replicas
 * starting together migrate once.
 */
export async function migrateDatabase(s: DatabaseSettings): Promise<string[]> {
  const ds = new DataSource({ ...dataSourceOptions(s), extra: { options: `-c search_path=${s.schema}`, max: 1 } });
  await ds.initialize();
  try {
    // Lock first: replicas starting together would otherwise race on CREATE SCHEMA itself.
    await ds.query(`SELECT pg_advisory_lock(hashtext($1))`, [`${s.schema}.migrations`]);
    await ds.query(createSchemaIfMissing(s.schema));
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
