import { kafkaClient, ensureTopics, deleteTopicsWithPrefix } from '@jpki/messaging';
import { Client } from 'pg';
import { resolveInfrastructure, stopContainers } from './infrastructure';
import { newTestRunId } from './test-run';

/** Jest globalSetup: resolve Kafka and PostgreSQL once, create this run's topics. */
export async function globalSetup(): Promise<void> {
  const infra = await resolveInfrastructure();
  const runId = process.env['TEST_RUN_ID'] ?? newTestRunId();
  process.env['TEST_RUN_ID'] = runId;
  process.env['KAFKA_BROKERS'] = infra.kafkaBrokers;
  process.env['DATABASE_URL'] = infra.databaseUrl;
  process.env['KAFKAJS_NO_PARTITIONER_WARNING'] = '1';
  const { created } = await ensureTopics(kafkaClient('test-setup', [infra.kafkaBrokers]), `${runId}.`);
  console.warn(
    `\n[test infra] run ${runId}: Kafka ${infra.kafkaBrokers} (${infra.source.kafka}), ` +
      `PostgreSQL (${infra.source.database}), ${created.length} topics created`,
  );
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
