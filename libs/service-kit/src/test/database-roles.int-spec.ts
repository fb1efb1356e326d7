/**
 * The per-service database roles of the Kubernetes manifests, on the real PostgreSQL: the bootstrap SQL of
 * deploy/base/postgres/cluster.yaml (CNPG's postInitApplicationSQL) and what CNPG's managed roles then add (LOGIN,
 * password), run for two services in a database of their own, under names unique to this run. One service's role can
 * neither read, write nor create anything in the other's schema, nor create that schema first, nor any schema; its own
 * migrations (libs/service-kit's migrateDatabase, run as its role) work on the schema the bootstrap made for it.
 * The operator tools' role (`ops`: npm run dlq, npm run invariants) reads both services' tables, created after it by
 * their migrations, writes none, and keeps the dlq tool's redrive ledger in its own schema (libs/operations' own code,
 * run as that role).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import type { MigrationInterface, QueryRunner } from 'typeorm';
import { parse } from 'yaml';
import { testDatabaseUrl } from '@jpki/testing';
import { migrateDatabase } from '../lib/database';

const CLUSTER_YAML = join(__dirname, '../../../../deploy/base/postgres/cluster.yaml');

interface ManagedRole {
  name: string;
  login?: boolean;
  inRoles?: string[];
}

const cluster = parse(readFileSync(CLUSTER_YAML, 'utf8')) as {
  spec: { bootstrap: { initdb: { database: string; postInitApplicationSQL: string[] } }; managed: { roles: ManagedRole[] } };
};
const { database: DATABASE, postInitApplicationSQL: BOOTSTRAP_SQL } = cluster.spec.bootstrap.initdb;
const MANAGED = cluster.spec.managed.roles;
/** Two services of the manifest: A tries what it must not on B's schema. */
const [A, B] = ['jpki_ca', 'sp_tsm'];
/** The operator tools' role, which owns the ledger schema of the same name (DLQ_LEDGER_SCHEMA's default). */
const OPS = 'ops';
const OPERATIONS_LIB = join(__dirname, '../../../operations/src/lib');

/** libs/operations' redrive ledger and invariant checks, loaded by path: service-kit does not depend on that library. */
interface RedriveLedgerLike {
  ensure(): Promise<void>;
  claim(prefix: string, letter: { id: string; messageId: string | null; originalTopic: string }, operator: string, publish: () => Promise<void>): Promise<{ claimed: boolean }>;
  find(prefix: string, id: string): Promise<{ operator: string } | null>;
  close(): Promise<void>;
}
interface InvariantsModule {
  INVARIANTS: { name: string }[];
  checkInvariants(opts: { query: (sql: string, params?: unknown[]) => Promise<Record<string, unknown>[]>; schemaPrefix: string; graceSeconds?: number; checks?: unknown[] }): Promise<{ name: string; passed: boolean; violations: Record<string, unknown>[] }[]>;
}

describe("per-service database roles (deploy/base/postgres/cluster.yaml) on PostgreSQL", () => {
  const tag = `t${randomBytes(4).toString('hex')}`;
  /** Every role, schema and group name of the manifest gets this run's prefix; the database gets a name of its own. */
  const names = new Map<string, string>([[DATABASE, `${tag}_jpki_roles`]]);
  const renamed = (name: string) => names.get(name) ?? `${tag}_${name}`;
  const otherServices = MANAGED.map((r) => r.name).filter((n) => n !== A && n !== B && n !== OPS);
  const identifiers = [...new Set([DATABASE, ...MANAGED.map((r) => r.name), ...MANAGED.flatMap((r) => r.inRoles ?? [])])].sort((x, y) => y.length - x.length);
  const rename = (sql: string) => sql.replace(new RegExp(`\\b(${identifiers.join('|')})\\b`, 'g'), (name) => renamed(name));
  const groups = [...new Set(MANAGED.flatMap((r) => r.inRoles ?? []))];
  const [a, b, ops, db] = [renamed(A), renamed(B), renamed(OPS), renamed(DATABASE)];

  const adminUrl = new URL(testDatabaseUrl());
  const urlOf = (user: string, database = db) => {
    const u = new URL(adminUrl);
    u.username = user;
    u.password = '';
    u.pathname = `/${database}`;
    return u.toString();
  };
  const server = new Client({ connectionString: testDatabaseUrl() });
  const clients: Client[] = [];
  const connect = async (user: string) => {
    const c = new Client({ connectionString: urlOf(user) });
    await c.connect();
    clients.push(c);
    return c;
  };
  let admin: Client;
  let asA: Client;
  let asB: Client;
  let asOps: Client;
  /** The SQLSTATE and message a statement fails with ('' when it succeeds). */
  const refusal = (c: Client, sql: string) => c.query(sql).then(() => '', (err: { code?: string; message: string }) => `${err.code}: ${err.message}`);
  const ownerOf = async (schema: string) =>
    (await admin.query<{ owner: string }>(`SELECT nspowner::regrole::text AS owner FROM pg_namespace WHERE nspname = $1`, [schema])).rows[0]?.owner;

  beforeAll(async () => {
    await server.connect();
    await server.query(`CREATE DATABASE "${db}"`);
    admin = await connect(adminUrl.username || 'postgres');
    // CNPG runs postInitApplicationSQL as the superuser in the application database, once, at bootstrap. The
    // statements about the two services and the operator tools' role, as the manifest has them.
    const statements = BOOTSTRAP_SQL.filter((sql) => !otherServices.some((n) => new RegExp(`\\b${n}\\b`).test(sql)));
    for (const sql of statements) await admin.query(rename(sql));
    // Then CNPG's managed-role reconciliation: it creates the roles that do not exist and adopts those that do, with
    // LOGIN and inRoles as the manifest says (passwords left out: the test server trusts local connections).
    for (const role of MANAGED.filter((r) => r.name === A || r.name === B || r.name === OPS)) {
      const name = renamed(role.name);
      const exists = (await admin.query(`SELECT 1 FROM pg_roles WHERE rolname = $1`, [name])).rowCount === 1;
      await admin.query(`${exists ? 'ALTER' : 'CREATE'} ROLE "${name}" ${role.login ? 'LOGIN' : 'NOLOGIN'}`);
      for (const group of role.inRoles ?? []) await admin.query(`GRANT "${renamed(group)}" TO "${name}"`);
    }
    asA = await connect(a);
    asB = await connect(b);
    asOps = await connect(ops);
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
    await server.query(`DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`).catch(() => undefined);
    for (const role of [a, b, ops, ...groups.map(renamed)]) await server.query(`DROP ROLE IF EXISTS "${role}"`).catch(() => undefined);
    await server.end();
  });

  it("cannot create another service's schema first: it exists from the bootstrap on, owned by that service", async () => {
    // Before either service ever started.
    expect([await ownerOf(a), await ownerOf(b)]).toEqual([a, b]);
    // No role may create schemas; had it been allowed, B's name would be taken already.
    expect(await refusal(asA, `CREATE SCHEMA "${b}"`)).toBe(`42501: permission denied for database ${db}`);
    expect(await refusal(asA, `CREATE SCHEMA IF NOT EXISTS "${b}"`)).toBe(`42501: permission denied for database ${db}`);
    expect(await ownerOf(b)).toBe(b);
    expect(await refusal(asA, `CREATE TABLE "${b}".planted (id int)`)).toBe(`42501: permission denied for schema ${b}`);
    // Nor a schema for B under another name (PostgreSQL checks the database right first).
    expect(await refusal(asA, `CREATE SCHEMA "${tag}_squat" AUTHORIZATION "${b}"`)).toBe(`42501: permission denied for database ${db}`);
  });

  describe('once both services started', () => {
    // Each service starts as its role: libs/service-kit's migrateDatabase, with a migration that creates a table.
    beforeAll(async () => {
      for (const schema of [a, b]) {
        class CreateOutbox1700000000001 implements MigrationInterface {
          async up(q: QueryRunner): Promise<void> {
            // The columns the invariant checks read, besides the payload.
            await q.query(
              `CREATE TABLE outbox (id serial PRIMARY KEY, payload text NOT NULL, message_id text, topic text, message_type text, created_at timestamptz NOT NULL DEFAULT now(), published_at timestamptz)`,
            );
            await q.query(`INSERT INTO outbox (payload) VALUES ('secret of ${schema}')`);
          }
          async down(): Promise<void> {
            // never reverted here
          }
        }
        expect(await migrateDatabase({ url: urlOf(schema), schema, entities: [], migrations: [CreateOutbox1700000000001] })).toEqual(['CreateOutbox1700000000001']);
      }
    });

    it('lets a service use its own schema, found through its role name (no search_path needed, as behind PgBouncer)', async () => {
      expect((await asA.query<{ s: string }>('SELECT current_schema() AS s')).rows[0].s).toBe(a);
      expect((await asA.query('SELECT payload FROM outbox')).rows).toEqual([{ payload: `secret of ${a}` }]);
      expect(await refusal(asA, 'CREATE TABLE inbox (id int)')).toBe('');
    });

    it("refuses a service another's schema: no reading, no writing, no new table, no taking it over", async () => {
      const denied = `42501: permission denied for schema ${b}`;
      expect(await refusal(asA, `SELECT * FROM "${b}".outbox`)).toBe(denied);
      expect(await refusal(asA, `INSERT INTO "${b}".outbox (payload) VALUES ('forged')`)).toBe(denied);
      expect(await refusal(asA, `UPDATE "${b}".outbox SET payload = 'forged'`)).toBe(denied);
      expect(await refusal(asA, `CREATE TABLE "${b}".planted (id int)`)).toBe(denied);
      expect(await refusal(asA, `DROP SCHEMA "${b}" CASCADE`)).toBe(`42501: must be owner of schema ${b}`);
      expect(await refusal(asA, `ALTER SCHEMA "${b}" OWNER TO "${a}"`)).toBe(`42501: must be owner of schema ${b}`);
      expect(await refusal(asA, `GRANT USAGE ON SCHEMA "${b}" TO "${a}"`)).toBe(denied);
      expect(await refusal(asA, `SELECT * FROM "${b}".outbox`)).toBe(denied);
      expect((await asB.query(`SELECT payload FROM outbox`)).rows).toEqual([{ payload: `secret of ${b}` }]);
    });

    it('may create no schema at all: its own exists from the bootstrap, and nothing else is its to make', async () => {
      const denied = `42501: permission denied for database ${db}`;
      expect(await refusal(asA, `CREATE SCHEMA "${tag}_extra"`)).toBe(denied);
      expect(await refusal(asA, `CREATE SCHEMA IF NOT EXISTS "${a}"`)).toBe(denied);
      // The two services' schemas and the operator tools' ledger schema, all from the bootstrap.
      expect((await admin.query(`SELECT nspname FROM pg_namespace WHERE nspname LIKE $1 ORDER BY nspname`, [`${tag}_%`])).rows.map((r) => r.nspname)).toEqual([a, ops, b].sort());
    });

    it("lets the operator tools read every service's tables, created after the bootstrap by the service, and write none", async () => {
      for (const schema of [a, b]) {
        expect((await asOps.query(`SELECT payload FROM "${schema}".outbox`)).rows).toEqual([{ payload: `secret of ${schema}` }]);
        const denied = `42501: permission denied for table outbox`;
        expect(await refusal(asOps, `INSERT INTO "${schema}".outbox (payload) VALUES ('forged')`)).toBe(denied);
        expect(await refusal(asOps, `UPDATE "${schema}".outbox SET payload = 'forged'`)).toBe(denied);
        expect(await refusal(asOps, `DELETE FROM "${schema}".outbox`)).toBe(denied);
        expect(await refusal(asOps, `TRUNCATE "${schema}".outbox`)).toBe(denied);
        expect(await refusal(asOps, `SELECT nextval('"${schema}".outbox_id_seq')`)).toBe('42501: permission denied for sequence outbox_id_seq');
        expect(await refusal(asOps, `CREATE TABLE "${schema}".planted (id int)`)).toBe(`42501: permission denied for schema ${schema}`);
        expect(await refusal(asOps, `ALTER TABLE "${schema}".outbox ADD COLUMN planted int`)).toBe('42501: must be owner of table outbox');
        expect(await refusal(asOps, `DROP TABLE "${schema}".outbox`)).toBe('42501: must be owner of table outbox');
        expect(await refusal(asOps, `DROP SCHEMA "${schema}" CASCADE`)).toBe(`42501: must be owner of schema ${schema}`);
        expect(await refusal(asOps, `ALTER DEFAULT PRIVILEGES FOR ROLE "${schema}" GRANT ALL ON TABLES TO "${ops}"`)).toBe(`42501: must be member of role "${schema}"`);
      }
      // Nothing was changed, and the services still read and write their own.
      expect((await asB.query(`SELECT payload FROM outbox`)).rows).toEqual([{ payload: `secret of ${b}` }]);
      expect(await refusal(asA, `INSERT INTO outbox (payload) VALUES ('more')`)).toBe('');
      // The services cannot read the operator tools' schema.
      expect(await refusal(asA, `SELECT * FROM "${ops}".dlq_redrive`)).toBe(`42501: permission denied for schema ${ops}`);
    });

    it('runs the invariant checks (libs/operations checkInvariants) as the operator tools’ role', async () => {
      const { checkInvariants, INVARIANTS } = (await import(join(OPERATIONS_LIB, 'invariants.ts'))) as InvariantsModule;
      // The platform's schema names with this run's prefix are exactly a and b (platformSchemas: `<prefix>jpki_ca`, `<prefix>sp_tsm`).
      const results = await checkInvariants({
        query: async (sql, params) => (await asOps.query(sql, params)).rows,
        schemaPrefix: `${tag}_`,
        graceSeconds: 0,
        checks: INVARIANTS.filter((c) => c.name === 'outbox-published'),
      });
      // Neither outbox row was published: the check read both schemas.
      expect(results.map((r) => [r.name, r.passed])).toEqual([['outbox-published', false]]);
      expect([...new Set(results[0].violations.map((v) => v['schema']))].sort()).toEqual([a, b].sort());
    });

    it("keeps the dlq tool's redrive ledger in its own schema (libs/operations RedriveLedger, run as that role)", async () => {
      const { RedriveLedger } = (await import(join(OPERATIONS_LIB, 'redrive-ledger.ts'))) as { RedriveLedger: new (url: string, schema: string) => RedriveLedgerLike };
      expect(await ownerOf(ops)).toBe(ops);
      const ledger = new RedriveLedger(urlOf(ops), ops);
      try {
        // ensure() creates its schema only when it is missing: the role needs no right on the database.
        await ledger.ensure();
        const letter = { id: 'ca.commands.dlq:0:7', messageId: 'm-1', originalTopic: 'ca.commands' };
        let published = 0;
        expect(await ledger.claim('', letter, 'alice', async () => void published++)).toEqual({ claimed: true });
        expect(await ledger.claim('', letter, 'bob', async () => void published++)).toMatchObject({ claimed: false });
        expect(published).toBe(1);
        expect(await ledger.find('', letter.id)).toMatchObject({ operator: 'alice' });
      } finally {
        await ledger.close();
      }
      expect((await admin.query(`SELECT tableowner FROM pg_tables WHERE schemaname = $1`, [ops])).rows).toEqual([{ tableowner: ops }]);
      // It may create no schema, and has no way into a service's.
      expect(await refusal(asOps, `CREATE SCHEMA "${a}"`)).toBe(`42501: permission denied for database ${db}`);
      expect(await refusal(asOps, `CREATE SCHEMA "${tag}_ops_extra"`)).toBe(`42501: permission denied for database ${db}`);
      expect(await refusal(asOps, `CREATE TABLE "${a}".dlq_redrive (id int)`)).toBe(`42501: permission denied for schema ${a}`);
      expect(await ownerOf(a)).toBe(a);
    });
  });
});
