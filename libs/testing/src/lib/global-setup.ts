import { kafkaClient, ensureTopics, deleteTopicsWithPrefix } from '@jpki/messaging';
import { Client } from 'pg';
import { resolveInfrastructure, stopContainers } from './infrastructure';
import { abandonedRunOf, newTestRunId } from './test-run';

/** Jest globalSetup: resolve Kafka and PostgreSQL once, create this run's topics. */
export async function globalSetup(): Promise<void> {
  const infra = await resolveInfrastructure();
  const runId = process.env['TEST_RUN_ID'] ?? newTestRunId();
  process.env['TEST_RUN_ID'] = runId;
  process.env['KAFKA_BROKERS'] = infra.kafkaBrokers;
  // The test process (harnesses, watchers, kcat) is the admin; services started by the stacks get their own principal.
  Object.assign(process.env, infra.kafkaAdmin);
  process.env['DATABASE_URL'] = infra.databaseUrl;
  process.env['KAFKAJS_NO_PARTITIONER_WARNING'] = '1';
  const kafka = kafkaClient('test-setup', [infra.kafkaBrokers]);
  const swept = await sweepAbandonedRuns(kafka, infra.databaseUrl);
  const { created, acls } = await ensureTopics(kafka, `${runId}.`);
  console.warn(
    `\n[test infra] run ${runId}: Kafka ${infra.kafkaBrokers} (${infra.source.kafka}), ` +
      `PostgreSQL (${infra.source.database}), ${created.length} topics created, ACLs: ${acls}` +
      (swept.length ? `; removed the topics and schemas of ${swept.length} abandoned run(s): ${swept.join(', ')}` : ''),
  );
}

/** Topics and schemas of runs killed before their teardown would otherwise stay on the broker and database for good. */
export async function sweepAbandonedRuns(kafka: ReturnType<typeof kafkaClient>, databaseUrl: string, now = Date.now()): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  const topics = await admin.listTopics().finally(() => admin.disconnect());
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  const schemas = await client.query<{ nspname: string }>(`SELECT nspname FROM pg_namespace`).finally(() => client.end());
  const runs = new Set([...topics, ...schemas.rows.map((r) => r.nspname)].map((name) => abandonedRunOf(name, now)).filter((id): id is string => !!id));
  for (const run of runs) {
    await deleteTopicsWithPrefix(kafka, `${run}.`);
    await dropSchemas(databaseUrl, `${run}_`);
  }
  return [...runs];
}

/** Jest globalTeardown: remove this run's topics and schemas unless KEEP_TEST_DATA is set. */
export async function globalTeardown(): Promise<void> {
  const runId = process.env['TEST_RUN_ID'];
  if (runId && !process.env['KEEP_TEST_DATA']) {
    await deleteTopicsWithPrefix(kafkaClient('test-teardown', [process.env['KAFKA_BROKERS'] ?? '']), `${runId}.`).catch(() => 0);
    await dropSchemas(process.env['DATABASE_URL'] ?? '', `${runId}_`);
  }
  await stopContainers();
}

async function dropSchemas(url: string, prefix: string): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ nspname: string }>(`SELECT nspname FROM pg_namespace WHERE starts_with(nspname, $1)`, [prefix]);
    for (const r of rows) await client.query(`DROP SCHEMA "${r.nspname}" CASCADE`);
  } finally {
    await client.end();
  }
}
