import { randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { deadLetterTopicName, ProbePing, Topics } from '@jpki/contracts';
import { ensureTopics, kafkaClient } from '@jpki/messaging';
import { rawProducer, signedEnvelope, StackKeys, testDatabaseUrl, testKafkaBrokers, testSchema, testTopicPrefix, TopicWatcher, waitUntil } from '@jpki/testing';
import { baseConfigSchema, createServiceApp, loadConfig } from '../index';
import { ProbeModule, probeMigrations, probeSubscriptions } from './probe-service';

const probe = Topics.platformProbe;
const keys = new StackKeys(['probe']);

/**
 * The service's database goes away for longer than the whole retry budget (5 attempts ≈ 7.5 s): a message consumed
 * meanwhile must wait for the database, not be dead-lettered. The outage is real for this service only: its own
 * PostgreSQL role is refused logins and its sessions are terminated, as a restart would.
 */
describe('a database outage is waited out, never dead-lettered', () => {
  const schema = testSchema('dbout');
  const role = `${schema}_role`;
  const prefix = `${testTopicPrefix()}dbout${randomUUID().slice(0, 6)}.`;
  let admin: Client;
  let app: INestApplication;
  let watcher: TopicWatcher;
  let producer: Awaited<ReturnType<typeof rawProducer>>;

  /** A ping as the probe signs it, on one key so every ping shares a partition. */
  const ping = (probeId: string) => ({ ...signedEnvelope(ProbePing, { probeId, sequence: 1 }, 'probe', keys.keys.get('probe')!.signingPkcs8), key: 'outage' });
  const effects = async (probeId: string) =>
    ((await admin.query(`SELECT attempt FROM "${schema}".probe_effect WHERE probe_id = $1`, [probeId])).rows as { attempt: number }[]);

  beforeAll(async () => {
    admin = new Client({ connectionString: testDatabaseUrl() });
    await admin.connect();
    await admin.query(`CREATE ROLE "${role}" LOGIN`);
    await admin.query(`GRANT CREATE ON DATABASE "${admin.database}" TO "${role}"`);
    await ensureTopics(kafkaClient('dbout-setup', testKafkaBrokers()), prefix);
    const url = new URL(testDatabaseUrl());
    url.username = role;
    const config = loadConfig(baseConfigSchema, {
      HTTP_PORT: '0',
      DB_SCHEMA: schema,
      DATABASE_URL: url.toString(),
      KAFKA_BROKERS: testKafkaBrokers().join(','),
      KAFKA_TOPIC_PREFIX: prefix,
      LOG_LEVEL: 'error',
      ...keys.envFor('probe'),
    });
    const def = { name: 'probe', config, entities: [], migrations: probeMigrations, subscriptions: probeSubscriptions };
    app = await createServiceApp({ definition: def, module: ProbeModule.register(def), openApi: { title: 'probe', description: 'database outage test' } });
    await app.listen(0, '127.0.0.1');
    watcher = await new TopicWatcher(undefined, prefix).watch(deadLetterTopicName(probe.name));
    producer = await rawProducer(prefix);
  }, 60_000);

  afterAll(async () => {
    await admin.query(`ALTER ROLE "${role}" LOGIN`).catch(() => undefined);
    await watcher?.stop();
    await producer?.disconnect();
    await app?.close();
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.query(`DROP OWNED BY "${role}"`);
    await admin.query(`DROP ROLE IF EXISTS "${role}"`);
    await admin.end();
  });

  it('holds a message consumed during a 15 s outage and handles it once when the database is back; nothing is dead-lettered', async () => {
    await producer.sendTo(probe.name, [ping('before-outage')]);
    await waitUntil(async () => (await effects('before-outage')).length === 1, 20_000, 'handled before the outage');

    await admin.query(`ALTER ROLE "${role}" NOLOGIN`);
    await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1`, [role]);
    await producer.sendTo(probe.name, [ping('during-outage')]);
    await new Promise((r) => setTimeout(r, 15_000));
    expect(watcher.messages).toHaveLength(0);
    await admin.query(`ALTER ROLE "${role}" LOGIN`);

    await waitUntil(async () => (await effects('during-outage')).length === 1, 60_000, 'handled once the database is back');
    await new Promise((r) => setTimeout(r, 2000));
    expect(await effects('during-outage')).toEqual([{ attempt: 1 }]);
    expect(app.get(DataSource).isInitialized).toBe(true);
    expect(watcher.messages).toHaveLength(0);
  }, 120_000);
});
