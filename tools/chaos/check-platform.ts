import { Client } from 'pg';
import { kafkaClient } from '@jpki/messaging';
import { checkInvariants, DeadLetterArchive, RedriveLedger, type CheckResult } from '@jpki/operations';

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
}

/** Every invariant over the platform's databases and, when a topic prefix is given, its dead-letter topics. */
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
    });
  } finally {
    await ledger.close();
    await db.end();
  }
}

/** One line per check, then up to five offending rows under each failed one. */
export function printResults(results: CheckResult[], log: (line: string) => void = console.log): void {
  for (const r of results) {
    log(`${r.passed ? 'PASS' : 'FAIL'}  ${r.name.padEnd(46)} ${r.passed ? '' : `${r.violations.length} violation(s)`}`);
    for (const v of r.violations.slice(0, 5)) log(`        ${JSON.stringify(v)}`);
    if (r.violations.length > 5) log(`        … ${r.violations.length - 5} more`);
  }
  const failed = results.filter((r) => !r.passed).length;
  log(`invariants: ${results.length - failed} passed, ${failed} failed`);
}
