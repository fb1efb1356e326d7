import { CARRIERS, mnoTsmOf, SE_TSM } from '@jpki/contracts';
import { caAuditChainIntact } from './audit-chain';
import { cardRegistriesAgreeWithTsmRecords } from './card-registries';
import { certificateStatusAgrees } from './certificate-status';
import type { DeadLetter } from './dead-letters';
import type { PlatformServices } from './platform-services';

/** The schemas of one platform run: one per service, all named `<prefix><service>` (libs/testing `platformStack`). */
export interface PlatformSchemas {
  ca: string;
  spTsm: string;
  lifecycle: string;
  vsim: string;
  /** The TSMs' schemas — the carriers' MNO-TSMs and the SE-management TSM — whose `ssd` tables have one shape (@jpki/tsm). */
  tsm: string[];
  /** Every schema with the messaging tables (outbox, inbox) and, where a service runs sagas, the saga tables. */
  all: string[];
}

export function platformSchemas(prefix: string): PlatformSchemas {
  const name = (service: string) => `${prefix}${service.replace(/-/g, '_')}`;
  const ca = name('jpki-ca');
  const spTsm = name('sp-tsm');
  const lifecycle = name('lifecycle');
  const vsim = name('vsim');
  const tsm = [...CARRIERS.map((c) => name(mnoTsmOf(c))), name(SE_TSM)];
  const all = [ca, spTsm, ...tsm, vsim, lifecycle, name('rp-bank'), name('rp-ticketing'), name('rp-eapplication')];
  for (const s of all) if (!/^[a-z_][a-z0-9_]*$/.test(s)) throw new Error(`invalid schema name ${s}`);
  return { ca, spTsm, lifecycle, vsim, tsm, all };
}

export type Row = Record<string, unknown>;
export type Query = (sql: string, params?: unknown[]) => Promise<Row[]>;

export interface CheckContext {
  query: Query;
  schemas: PlatformSchemas;
  /** Schemas that exist: a service not started in this run has none, and its checks look at nothing. */
  present: Set<string>;
  /** Work younger than this may still be in flight. */
  graceSeconds: number;
  /** The dead letters of the run's topics, when the broker was read. */
  deadLetters?: DeadLetter[];
  /** Dead letters the run put there on purpose (poison it injected), by message id. */
  expectedDeadLetters: Set<string>;
  /** The running services the checks that look beyond the databases ask (cards, OCSP, CRLs). */
  services?: PlatformServices;
}

export interface InvariantCheck {
  name: string;
  description: string;
  /** What the check reads besides the databases; it is left out when that is not given. */
  requires?: 'dead-letters' | 'services';
  /** The offending rows: none means the invariant holds. */
  run(ctx: CheckContext): Promise<Row[]>;
}

export interface CheckResult {
  name: string;
  description: string;
  passed: boolean;
  violations: Row[];
}

const q = (schema: string) => `"${schema}"`;

/** Runs `perSchema` over the schemas that exist and have `table`, tagging each row with its schema. */
async function eachSchemaWith(ctx: CheckContext, schemas: string[], table: string, perSchema: (s: string) => string): Promise<Row[]> {
  const out: Row[] = [];
  for (const s of schemas.filter((x) => ctx.present.has(x))) {
    const [{ exists }] = await ctx.query(`SELECT to_regclass($1) IS NOT NULL AS exists`, [`${q(s)}.${table}`]);
    if (!exists) continue;
    const sql = perSchema(s);
    for (const row of await ctx.query(sql, sql.includes('$1') ? [ctx.graceSeconds] : [])) out.push({ schema: s, ...row });
  }
  return out;
}

const present = (ctx: CheckContext, ...schemas: string[]) => schemas.every((s) => ctx.present.has(s));
const tsmSsds = (ctx: CheckContext) => ctx.schemas.tsm.filter((s) => ctx.present.has(s)).map((s) => `SELECT iccid, ssd_aid, state FROM ${q(s)}.ssd`).join(' UNION ALL ');

export const INVARIANTS: InvariantCheck[] = [
  {
    name: 'sagas-not-stuck',
    description: 'every saga ended (completed or failed) or is still being worked on: none past its step deadline, none runnable with nobody holding its lease',
    run: (ctx) =>
      eachSchemaWith(ctx, ctx.schemas.all, 'saga', (s) => `
        SELECT id, kind, state, step, status, step_deadline, next_run_at, lease_until FROM ${q(s)}.saga
        WHERE status IN ('running', 'compensating')
          AND (step_deadline < now() - make_interval(secs => $1)
               OR (next_run_at < now() - make_interval(secs => $1) AND (lease_until IS NULL OR lease_until < now() - make_interval(secs => $1))))`),
  },
  {
    name: 'saga-steps-applied-once',
    description: 'no saga step completed or compensated twice (a step re-run after its lease was lost)',
    run: (ctx) =>
      eachSchemaWith(ctx, ctx.schemas.all, 'saga_history', (s) => `
        SELECT saga_id, step, outcome, count(*)::int AS times FROM ${q(s)}.saga_history
        WHERE outcome IN ('completed', 'compensated') AND step IS NOT NULL
        GROUP BY saga_id, step, outcome HAVING count(*) > 1`),
  },
  {
    name: 'outbox-published',
    description: 'every outbox row older than the grace period was published to the broker',
    run: (ctx) =>
      eachSchemaWith(ctx, ctx.schemas.all, 'outbox', (s) => `
        SELECT id, message_id, topic, message_type, created_at FROM ${q(s)}.outbox
        WHERE published_at IS NULL AND created_at < now() - make_interval(secs => $1)`),
  },
  {
    name: 'completed-enrollment-kept-its-certificate',
    description: 'a completed enrollment records exactly the certificate the CA issued for its one issuance request',
    run: async (ctx) => {
      if (!present(ctx, ctx.schemas.spTsm, ctx.schemas.ca)) return [];
      return ctx.query(`
        SELECT s.id AS enrollment_id, s.data->>'serial' AS recorded_serial, c.serial AS issued_serial FROM ${q(ctx.schemas.spTsm)}.saga s
        LEFT JOIN ${q(ctx.schemas.ca)}.certificate c ON c.request_id = s.id || ':issuance'
        WHERE s.kind = 'enrollment' AND s.status = 'completed' AND c.serial IS DISTINCT FROM s.data->>'serial'`);
    },
  },
  {
    name: 'one-live-certificate-per-enrollment',
    description: 'no enrollment holds two live (good or on-hold) phone certificates at the CA',
    run: async (ctx) => {
      if (!present(ctx, ctx.schemas.ca)) return [];
      return ctx.query(`
        SELECT enrollment_id, array_agg(serial ORDER BY serial) AS serials FROM ${q(ctx.schemas.ca)}.certificate
        WHERE kind = 'phone-user-authentication' AND status <> 'revoked' AND enrollment_id IS NOT NULL
        GROUP BY enrollment_id HAVING count(*) > 1`);
    },
  },
  {
    name: 'failed-enrollment-revoked-what-it-issued',
    description: 'a failed enrollment left no live certificate at the CA',
    run: async (ctx) => {
      if (!present(ctx, ctx.schemas.spTsm, ctx.schemas.ca)) return [];
      return ctx.query(`
        SELECT s.id AS enrollment_id, c.serial, c.status FROM ${q(ctx.schemas.spTsm)}.saga s
        JOIN ${q(ctx.schemas.ca)}.certificate c ON c.enrollment_id = s.id
        WHERE s.kind = 'enrollment' AND s.status = 'failed' AND c.status <> 'revoked'`);
    },
  },
  {
    name: 'failed-enrollment-left-no-ssd-or-keys',
    description: 'a failed enrollment on a card no later enrollment completed on left no live SSD at its TSM and no active SP keys at the SP-TSM',
    run: async (ctx) => {
      if (!present(ctx, ctx.schemas.spTsm) || !ctx.schemas.tsm.some((s) => ctx.present.has(s))) return [];
      const sp = q(ctx.schemas.spTsm);
      return ctx.query(`
        WITH failed AS (
          SELECT f.id, coalesce(f.data->>'seid', f.data->>'iccid') AS iccid FROM ${sp}.saga f
          WHERE f.kind = 'enrollment' AND f.status = 'failed' AND coalesce(f.data->>'seid', f.data->>'iccid') IS NOT NULL
            AND NOT EXISTS (SELECT 1 FROM ${sp}.saga ok WHERE ok.kind = 'enrollment' AND ok.status IN ('completed', 'running', 'compensating')
                              AND coalesce(ok.data->>'seid', ok.data->>'iccid') = coalesce(f.data->>'seid', f.data->>'iccid'))
        )
        SELECT failed.id AS enrollment_id, failed.iccid, 'ssd ' || ssd.state AS leftover FROM failed JOIN (${tsmSsds(ctx)}) ssd ON ssd.iccid = failed.iccid
          WHERE ssd.state IN ('creating', 'created', 'locked')
        UNION ALL
        SELECT failed.id, failed.iccid, 'sp keyset ' || k.ssd_aid FROM failed JOIN ${sp}.ssd_keyset k ON k.seid = failed.iccid
          WHERE k.role = 'sp' AND k.status = 'active'`);
    },
  },
  {
    name: 'lifecycle-agrees-with-ca',
    description: 'lifecycle holds the CA\'s status for every phone certificate it knows',
    run: async (ctx) => {
      if (!present(ctx, ctx.schemas.lifecycle, ctx.schemas.ca)) return [];
      return ctx.query(`
        SELECT p.serial, p.status AS lifecycle_status, c.status AS ca_status FROM ${q(ctx.schemas.lifecycle)}.phone_certificate p
        LEFT JOIN ${q(ctx.schemas.ca)}.certificate c ON c.serial = p.serial
        WHERE (c.serial IS NULL OR c.status <> p.status) AND p.created_at < now() - make_interval(secs => $1)`, [ctx.graceSeconds]);
    },
  },
  {
    name: 'lost-phone-held-at-ca',
    description: 'every phone reported lost (and not found since) has its certificate on hold or revoked at the CA',
    run: async (ctx) => {
      if (!present(ctx, ctx.schemas.lifecycle, ctx.schemas.ca)) return [];
      return ctx.query(`
        SELECT p.enrollment_id, p.serial, c.status FROM ${q(ctx.schemas.lifecycle)}.phone p
        JOIN ${q(ctx.schemas.ca)}.certificate c ON c.serial = p.serial
        WHERE p.lost AND c.status = 'good' AND p.updated_at < now() - make_interval(secs => $1)`, [ctx.graceSeconds]);
    },
  },
  {
    name: 'no-good-phone-under-revoked-card',
    description: 'a phone certificate is never good while its holder has card authentication certificates and all are revoked',
    run: async (ctx) => {
      if (!present(ctx, ctx.schemas.ca)) return [];
      const ca = q(ctx.schemas.ca);
      return ctx.query(`
        SELECT phone.person_id, phone.serial FROM ${ca}.certificate phone
        WHERE phone.kind = 'phone-user-authentication' AND phone.status = 'good'
          AND EXISTS (SELECT 1 FROM ${ca}.certificate card WHERE card.person_id = phone.person_id AND card.kind = 'card-user-authentication')
          AND NOT EXISTS (SELECT 1 FROM ${ca}.certificate card WHERE card.person_id = phone.person_id AND card.kind = 'card-user-authentication' AND card.status <> 'revoked')
          AND EXISTS (SELECT 1 FROM ${ca}.status_change sc JOIN ${ca}.certificate card ON card.serial = sc.serial
                      WHERE card.person_id = phone.person_id AND sc.changed_at < now() - make_interval(secs => $1))`, [ctx.graceSeconds]);
    },
  },
  caAuditChainIntact,
  cardRegistriesAgreeWithTsmRecords,
  certificateStatusAgrees,
  {
    name: 'dead-letters-hold-no-infrastructure-failures',
    requires: 'dead-letters',
    description: 'no dead letter was caused by the database or the broker being away (consumers wait those out)',
    run: async (ctx) => (ctx.deadLetters ?? []).filter((d) => d.infrastructureFailure).map(deadLetterRow),
  },
  {
    name: 'dead-letters-only-injected',
    requires: 'dead-letters',
    description: 'the dead-letter topics hold only the poison messages the run injected on purpose',
    run: async (ctx) => (ctx.deadLetters ?? []).filter((d) => !d.messageId || !ctx.expectedDeadLetters.has(d.messageId)).map(deadLetterRow),
  },
  {
    name: 'dead-letters-hold-the-injected-poison',
    requires: 'dead-letters',
    description: 'every poison message the run injected reached a dead-letter topic (none was swallowed)',
    run: async (ctx) => {
      const dead = new Set((ctx.deadLetters ?? []).map((d) => d.messageId));
      return [...ctx.expectedDeadLetters].filter((id) => !dead.has(id)).map((messageId) => ({ messageId }));
    },
  },
];

function deadLetterRow(d: DeadLetter): Row {
  return { id: d.id, reason: d.reason, detail: d.detail.slice(0, 300), messageType: d.messageType, failedBy: d.failedBy };
}

/** Runs every invariant against the platform's schemas (and dead letters, when given). */
export async function checkInvariants(opts: {
  query: Query;
  schemaPrefix: string;
  graceSeconds?: number;
  deadLetters?: DeadLetter[];
  expectedDeadLetters?: Iterable<string>;
  services?: PlatformServices;
  checks?: InvariantCheck[];
}): Promise<CheckResult[]> {
  const schemas = platformSchemas(opts.schemaPrefix);
  const rows = await opts.query(`SELECT nspname FROM pg_namespace WHERE nspname = ANY($1)`, [schemas.all]);
  const ctx: CheckContext = {
    query: opts.query,
    schemas,
    present: new Set(rows.map((r) => String(r['nspname']))),
    graceSeconds: opts.graceSeconds ?? 30,
    deadLetters: opts.deadLetters,
    expectedDeadLetters: new Set(opts.expectedDeadLetters ?? []),
    services: opts.services,
  };
  if (ctx.present.size === 0) throw new Error(`no service schema with prefix ${opts.schemaPrefix} in this database`);
  const results: CheckResult[] = [];
  for (const check of opts.checks ?? INVARIANTS) {
    if ((check.requires === 'dead-letters' && !opts.deadLetters) || (check.requires === 'services' && !opts.services)) continue;
    const violations = await check.run(ctx);
    results.push({ name: check.name, description: check.description, passed: violations.length === 0, violations });
  }
  return results;
}
