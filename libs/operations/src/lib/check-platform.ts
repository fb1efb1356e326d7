import { Client } from 'pg';
import type { Kafka } from 'kafkajs';
import { deleteTopicsWithPrefix, kafkaClient } from '@jpki/messaging';
import { DeadLetterArchive } from './dead-letters';
import { checkInvariants, platformSchemas, type CheckResult } from './invariants';
import type { PlatformServices } from './platform-services';
import { RedriveLedger } from './redrive-ledger';

export interface PlatformLocation {
  databaseUrl: string;
  brokers: string[];
  /** Prefix of the service schemas, e.g. `demo_`. */
  schemaPrefix: string;
  /** Prefix of the topics, e.g. `demo.`; without it the dead-letter checks are left out. */
  topicPrefix?: string;
  graceSeconds?: number;
  /** Message ids of poison the run injected on purpose. */
  expectedDeadLetters?: string[];
  /** The running services (vsim's cards, the CA's OCSP responder and CRLs); without them those checks are left out. */
  services?: PlatformServices;
}

/** Every invariant over the platform's databases and, when a topic prefix or the services are given, its dead-letter topics, cards, OCSP and CRLs. */
export async function checkPlatform(at: PlatformLocation): Promise<CheckResult[]> {
  const db = new Client({ connectionString: at.databaseUrl });
  await db.connect();
  // Listing dead letters never writes the redrive ledger.
  const ledger = new RedriveLedger(at.databaseUrl);
  try {
    const deadLetters = at.topicPrefix === undefined ? undefined : await new DeadLetterArchive(kafkaClient('invariants', at.brokers), at.topicPrefix, ledger).list();
    return await checkInvariants({
      query: async (sql, params) => (await db.query(sql, params)).rows,
      schemaPrefix: at.schemaPrefix,
      graceSeconds: at.graceSeconds,
      deadLetters,
      expectedDeadLetters: at.expectedDeadLetters,
      services: at.services,
    });
  } finally {
    await ledger.close();
    await db.end();
  }
}

/** What a client was told was accepted: the checker makes sure each of these is on record. */
export interface AcceptedWork {
  enrollments: string[];
  cases: string[];
}

/** Nothing a client was told was accepted is missing: every enrollment and case id handed out is on record. */
export async function acceptedWorkRecorded(databaseUrl: string, schemaPrefix: string, accepted: AcceptedWork): Promise<CheckResult> {
  const s = platformSchemas(schemaPrefix);
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const missing = async (ids: string[], table: string) =>
      (await db.query(`SELECT a.id FROM unnest($1::text[]) AS a(id) WHERE NOT EXISTS (SELECT 1 FROM ${table} t WHERE t.id = a.id)`, [ids])).rows.map((r) => ({ id: r.id, in: table }));
    const violations = [...(await missing(accepted.enrollments, `"${s.spTsm}".saga`)), ...(await missing(accepted.cases, `"${s.lifecycle}".lifecycle_case`))];
    return { name: 'accepted-work-recorded', description: 'every enrollment and case the platform accepted from a client is on record', passed: violations.length === 0, violations };
  } finally {
    await db.end();
  }
}

/** Waits until no saga is running or compensating and every outbox row is published, in every service schema. */
export async function waitForQuiescence(databaseUrl: string, schemaPrefix: string, timeoutMs: number, log: (line: string) => void): Promise<boolean> {
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  const schemas = platformSchemas(schemaPrefix).all;
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      const busy = await busyWork(db, schemas, schemaPrefix);
      if (busy.length === 0) return true;
      if (Date.now() > deadline) {
        log(`not quiescent after ${timeoutMs / 1000} s: ${busy.join(', ')}`);
        return false;
      }
      log(`waiting for quiescence: ${busy.join(', ')}`);
      await new Promise((r) => setTimeout(r, 3_000));
    }
  } finally {
    await db.end();
  }
}

async function busyWork(db: Client, schemas: string[], schemaPrefix: string): Promise<string[]> {
  const busy: string[] = [];
  for (const s of schemas) {
    const { rows } = await db.query(
      `SELECT (SELECT count(*)::int FROM "${s}".outbox WHERE published_at IS NULL) AS unpublished,
              CASE WHEN to_regclass($1) IS NULL THEN 0 ELSE (SELECT count(*)::int FROM "${s}".saga WHERE status IN ('running', 'compensating')) END AS sagas`,
      [`"${s}".saga`],
    ).catch(() => ({ rows: [{ unpublished: 0, sagas: 0 }] }));
    const { unpublished, sagas } = rows[0] as { unpublished: number; sagas: number };
    if (unpublished > 0 || sagas > 0) busy.push(`${s.slice(schemaPrefix.length)}: ${sagas} sagas, ${unpublished} unpublished`);
  }
  return busy;
}

/** Drops a run's topics and service schemas. */
export async function removeRunData(databaseUrl: string, kafka: Kafka, topicPrefix: string, schemaPrefix: string, log: (line: string) => void): Promise<void> {
  await deleteTopicsWithPrefix(kafka, topicPrefix).catch((err: Error) => log(`topics ${topicPrefix}* not removed: ${err.message}`));
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    for (const s of platformSchemas(schemaPrefix).all) await db.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
  } finally {
    await db.end();
  }
}

/** One line per check, then up to five offending rows under each failed one. */
export function printResults(results: CheckResult[], log: (line: string) => void): void {
  for (const r of results) {
    log(`${r.passed ? 'PASS' : 'FAIL'}  ${r.name.padEnd(46)} ${r.passed ? '' : `${r.violations.length} violation(s)`}`);
    for (const v of r.violations.slice(0, 5)) log(`        ${JSON.stringify(v)}`);
    if (r.violations.length > 5) log(`        … ${r.violations.length - 5} more`);
  }
  const failed = results.filter((r) => !r.passed).length;
  log(`invariants: ${results.length - failed} passed, ${failed} failed`);
}
