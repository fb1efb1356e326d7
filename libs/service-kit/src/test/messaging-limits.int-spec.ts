import type { INestApplication } from '@nestjs/common';
import { ConfigResourceTypes } from 'kafkajs';
import { DataSource } from 'typeorm';
import { deadLetterTopicName, Headers, ProbePing, Topics } from '@jpki/contracts';
import { ConsumerStatus, DeadLetterHeaders, ensureTopics, InboxPruner, kafkaClient, LONGEST_REDELIVERY_WINDOW_MS, pruneInbox } from '@jpki/messaging';
import { rawProducer, signedEnvelope, StackKeys, testDatabaseUrl, testKafkaBrokers, testSchema, testTopicPrefix, TopicWatcher, waitUntil } from '@jpki/testing';
import { baseConfigSchema, ConfigError, createServiceApp, loadConfig, type ServiceDefinition } from '../index';
import { ProbeModule, probeMigrations, probeSubscriptions } from './probe-service';

const probe = Topics.platformProbe.name;
const dlq = deadLetterTopicName(probe);
/** The probe signs as `probe` (the producer routed for platform.probe.ping); `lifecycle` is the clock authority. */
const keys = new StackKeys(['probe', 'lifecycle']);
const DAY_MS = 86_400_000;

/** Kafka's v2 record batch around one record: 61 bytes of batch header, about 21 of record framing (varints). */
const BATCH_OVERHEAD = 82;

/**
 * What a message can cost the platform beyond its own handling: a copy too large for the dead-letter topic must not
 * become a poison pill, and the inbox must not keep a row per message forever.
 */
describe('messaging limits over the real broker and database', () => {
  // Topics of this file only: nothing else consumes or dead-letters on them.
  const prefix = `${testTopicPrefix()}lim${Date.now().toString(36).slice(-4)}.`;
  let app: INestApplication;
  let ds: DataSource;
  let watcher: TopicWatcher;
  let producer: Awaited<ReturnType<typeof rawProducer>>;

  const effects = async (probeId: string) => (await ds.query(`SELECT sequence FROM probe_effect WHERE probe_id = $1`, [probeId])) as { sequence: number }[];
  const ping = (probeId: string, sequence: number) => signedEnvelope(ProbePing, { probeId, sequence }, 'probe', keys.keys.get('probe')!.signingPkcs8);

  beforeAll(async () => {
    const kafka = kafkaClient('limits-setup', testKafkaBrokers());
    await ensureTopics(kafka, prefix);

    const config = loadConfig(baseConfigSchema, {
      HTTP_PORT: '0',
      DB_SCHEMA: testSchema('limits'),
      DATABASE_URL: testDatabaseUrl(),
      KAFKA_BROKERS: testKafkaBrokers().join(','),
      KAFKA_TOPIC_PREFIX: prefix,
      LOG_LEVEL: 'warn',
      ...keys.envFor('probe'),
    });
    const def: ServiceDefinition = { name: 'probe', config, entities: [], migrations: probeMigrations, subscriptions: probeSubscriptions };
    app = await createServiceApp({ definition: def, module: ProbeModule.register(def), openApi: { title: 'probe', description: 'messaging limits' } });
    await app.listen(0, '127.0.0.1');
    ds = app.get(DataSource);
    watcher = await new TopicWatcher(kafka, prefix).watch(dlq);
    producer = await rawProducer(prefix);
  }, 60_000);

  afterAll(async () => {
    await watcher?.stop();
    await producer?.disconnect();
    await app?.close();
  });

  it('ATK-55: a message too large for its dead-letter copy does not block its partition: a summary with the cause is dead-lettered and the next message is handled', async () => {
    // The largest message the topic takes (max.message.bytes, 1 MiB + 12 by default), less a few bytes: it fits,
    // but not once the failure headers (topic, reason, detail, consumer, time: ~200 bytes) are added to its copy.
    const admin = kafkaClient('limits-admin', testKafkaBrokers()).admin();
    await admin.connect();
    const described = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: prefix + probe, configNames: ['max.message.bytes'] }] });
    await admin.disconnect();
    const maxMessageBytes = Number(described.resources[0].configEntries.find((e) => e.configName === 'max.message.bytes')!.configValue);
    const key = 'poison';
    const poison = Buffer.alloc(maxMessageBytes - BATCH_OVERHEAD - key.length - 40, 'x'); // not JSON: MALFORMED_JSON
    await producer.sendTo(probe, [{ key, value: poison }]);
    // The same key: the same partition, behind the poison.
    await producer.sendTo(probe, [{ ...ping('after-giant', 1), key }]);

    await waitUntil(async () => (await effects('after-giant')).length === 1, 30_000, 'the message after the giant handled');
    const dead = await watcher.waitFor((m) => m.key === key, 20_000, 'the giant’s dead letter');
    expect(dead.headers[Headers.failureReason]).toBe('MALFORMED_JSON');
    expect(dead.headers[Headers.failureDetail]).toMatch(/SyntaxError/);
    expect(dead.headers[Headers.originalTopic]).toBe(probe);
    expect(dead.headers[DeadLetterHeaders.truncated]).toBe('true');
    expect(Number(dead.headers[DeadLetterHeaders.originalBytes])).toBe(poison.length);
    expect(dead.headers[DeadLetterHeaders.originalSha256]).toMatch(/^[0-9a-f]{64}$/);
    const summary = JSON.parse(dead.value!) as { deadLetterSummary: { failureReason: string; originalBytes: number; originalOffset: string; head: string } };
    expect(summary.deadLetterSummary).toMatchObject({ failureReason: 'MALFORMED_JSON', originalBytes: poison.length, head: 'x'.repeat(1024) });
    expect(dead.value!.length).toBeLessThan(8 * 1024);
    // The consumer never crashed on it.
    expect(app.get(ConsumerStatus).healthy()).toBe(true);
  }, 60_000);

  it('keeps a normal dead letter whole (the summary is only for what cannot be copied)', async () => {
    await producer.sendTo(probe, [{ key: 'small-poison', value: '{"not": json' }]);
    const dead = await watcher.waitFor((m) => m.key === 'small-poison', 20_000, 'small dead letter');
    expect(dead.value).toBe('{"not": json');
    expect(dead.headers[DeadLetterHeaders.truncated]).toBeUndefined();
  });

  describe('inbox retention', () => {
    const insertInbox = async (messageId: string, ageMs: number) =>
      ds.query(`INSERT INTO inbox (consumer, message_id, message_type, processed_at) VALUES ('probe', $1, 'test', now() - make_interval(secs => $2::double precision))`, [
        messageId,
        ageMs / 1000,
      ]);
    const inboxIds = async () => ((await ds.query(`SELECT message_id FROM inbox WHERE message_type = 'test' ORDER BY message_id`)) as { message_id: string }[]).map((r) => r.message_id);

    it('prunes inbox rows older than the retention (35 days) and keeps the recent ones', async () => {
      const old = ['00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000002'];
      const kept = ['00000000-0000-4000-8000-000000000003', '00000000-0000-4000-8000-000000000004', '00000000-0000-4000-8000-000000000005'];
      await insertInbox(old[0], 400 * DAY_MS);
      await insertInbox(old[1], 35 * DAY_MS + 60_000);
      await insertInbox(kept[0], 35 * DAY_MS - 60_000);
      await insertInbox(kept[1], 31 * DAY_MS);
      await insertInbox(kept[2], 0);
      const result = await app.get(InboxPruner).prune();
      expect(result.deleted).toBe(2);
      expect(await inboxIds()).toEqual(kept);
      // A redelivery of a kept message is still recognised: its row is there.
      expect(await app.get(InboxPruner).prune()).toMatchObject({ deleted: 0 });
    });

    it('deletes in batches, and refuses a retention shorter than the longest redelivery window', async () => {
      await ds.query(
        `INSERT INTO inbox (consumer, message_id, message_type, processed_at)
         SELECT 'probe', gen_random_uuid(), 'batch', now() - interval '100 days' FROM generate_series(1, 2500)`,
      );
      expect(await pruneInbox(ds, 35 * DAY_MS, 1000)).toEqual({ deleted: 2500, batches: 3 });
      await expect(pruneInbox(ds, LONGEST_REDELIVERY_WINDOW_MS - 1)).rejects.toThrow(/shorter than the longest redelivery window/);
      expect(() => loadConfig(baseConfigSchema, { HTTP_PORT: '0', DB_SCHEMA: 'x', INBOX_RETENTION_HOURS: String(7 * 24) })).toThrow(ConfigError);
    });
  });
});
