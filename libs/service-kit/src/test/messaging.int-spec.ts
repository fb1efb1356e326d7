import { randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { Headers, ProbePing, SimulationClockSet, Topics, deadLetterTopicName, retryTopicName, type Envelope } from '@jpki/contracts';
import { kafkaClient, Outbox, outboxMessage, ProducerIdentity } from '@jpki/messaging';
import { kcatRead, rawProducer, signedEnvelope, StackKeys, testDatabaseUrl, testKafkaBrokers, testSchema, testTopicPrefix, TopicWatcher, waitUntil } from '@jpki/testing';
import { baseConfigSchema, Clock, createServiceApp, loadConfig, type ServiceDefinition } from '../index';
import { failures, ProbeModule, probeMigrations, probeSubscriptions, slowHandlers } from './probe-service';

const probe = Topics.platformProbe;
const dlq = deadLetterTopicName(probe.name);
/** The probe signs as `probe` (the producer routed for platform.probe.ping); `lifecycle` is the clock authority. */
const keys = new StackKeys(['probe', 'lifecycle', 'sp-tsm']);

function definition(): ServiceDefinition {
  const config = loadConfig(baseConfigSchema, {
    HTTP_PORT: '0',
    DB_SCHEMA: testSchema('probe'),
    DATABASE_URL: testDatabaseUrl(),
    KAFKA_BROKERS: testKafkaBrokers().join(','),
    KAFKA_TOPIC_PREFIX: testTopicPrefix(),
    LOG_LEVEL: 'warn',
    ...keys.envFor('probe'),
  });
  return { name: 'probe', config, entities: [], migrations: probeMigrations, subscriptions: probeSubscriptions };
}

function envelope(probeId: string, sequence: number, note?: string, messageId = randomUUID()): Envelope {
  return {
    messageId,
    type: ProbePing.type,
    schemaVersion: 1,
    correlationId: `corr-${probeId}`,
    causationId: null,
    occurredAt: new Date().toISOString(),
    producer: 'probe',
    payload: { probeId, sequence, ...(note ? { note } : {}) },
  };
}

/** An envelope as the probe service signs it. */
function signed(e: Envelope): Envelope {
  const { signature: _, ...unsigned } = e;
  return { ...unsigned, signature: ProducerIdentity.fromBase64Pkcs8('probe', keys.keys.get('probe')!.signingPkcs8).sign(unsigned) };
}

describe('messaging over the real broker and database', () => {
  let app: INestApplication;
  let ds: DataSource;
  let watcher: TopicWatcher;
  let producer: Awaited<ReturnType<typeof rawProducer>>;

  const effects = async (probeId: string) =>
    (await ds.query(`SELECT sequence, attempt FROM probe_effect WHERE probe_id = $1 ORDER BY id`, [probeId])) as {
      sequence: number;
      attempt: number;
    }[];

  beforeAll(async () => {
    const def = definition();
    app = await createServiceApp({
      definition: def,
      module: ProbeModule.register(def),
      openApi: { title: 'probe', description: 'messaging test service' },
    });
    await app.listen(0, '127.0.0.1');
    ds = app.get(DataSource);
    watcher = await new TopicWatcher().watch(probe.name, dlq);
    producer = await rawProducer();
  });

  afterAll(async () => {
    await watcher?.stop();
    await producer?.disconnect();
    await app?.close();
  });

  it('publishes through the outbox only when the transaction commits, and handles it once', async () => {
    const outbox = app.get(Outbox);
    const committed = await ds.transaction((m) => outbox.publish(m, ProbePing, { probeId: 'commit', sequence: 1 }));
    await ds
      .transaction(async (m) => {
        await outbox.publish(m, ProbePing, { probeId: 'rollback', sequence: 1 });
        throw new Error('abort');
      })
      .catch(() => undefined);

    await waitUntil(async () => (await effects('commit')).length === 1, 20_000, 'committed ping handled');
    const onTopic = await watcher.waitFor((m) => m.headers[Headers.messageId] === committed.messageId);
    expect(onTopic.key).toBe('commit');
    expect(onTopic.headers[Headers.correlationId]).toBe(committed.correlationId);
    expect(onTopic.headers[Headers.traceparent]).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(onTopic.json()).toMatchObject({ type: ProbePing.type, schemaVersion: 1, payload: { probeId: 'commit' } });
    expect(watcher.messages.some((m) => m.key === 'rollback')).toBe(false);
    const [{ count }] = await ds.query(`SELECT count(*)::int AS count FROM outbox WHERE message_key = 'rollback'`);
    expect(count).toBe(0);
  });

  it('publishAll writes several messages with one statement, relayed in order, and none if the transaction rolls back', async () => {
    const outbox = app.get(Outbox);
    const pings = [1, 2, 3].map((sequence) => outboxMessage(ProbePing, { probeId: 'batch', sequence }));
    const published = await ds.transaction((m) => outbox.publishAll(m, pings, { correlationId: 'corr-batch' }));
    await ds
      .transaction(async (m) => {
        await outbox.publishAll(m, [outboxMessage(ProbePing, { probeId: 'batch-rollback', sequence: 1 }), outboxMessage(ProbePing, { probeId: 'batch-rollback', sequence: 2 })]);
        throw new Error('abort');
      })
      .catch(() => undefined);

    await waitUntil(async () => (await effects('batch')).length === 3, 20_000, 'three pings handled');
    expect((await effects('batch')).map((e) => e.sequence)).toEqual([1, 2, 3]);
    const onTopic = await Promise.all(published.map((e) => watcher.waitFor((m) => m.headers[Headers.messageId] === e.messageId)));
    expect(onTopic.map((m) => m.json<Envelope>().payload)).toEqual([1, 2, 3].map((sequence) => ({ probeId: 'batch', sequence })));
    expect(new Set(onTopic.map((m) => m.headers[Headers.traceparent])).size).toBe(3);
    expect(onTopic.every((m) => m.headers[Headers.correlationId] === 'corr-batch')).toBe(true);
    const [{ count }] = await ds.query(`SELECT count(*)::int AS count FROM outbox WHERE message_key = 'batch-rollback'`);
    expect(count).toBe(0);
  });

  it('applies a redelivered message exactly once (inbox)', async () => {
    const body = JSON.stringify(signed(envelope('dup', 7)));
    for (let i = 0; i < 5; i++) await producer.sendTo(probe.name, [{ key: 'dup', value: body }]);
    await waitUntil(async () => (await effects('dup')).length === 1, 20_000, 'first delivery handled');
    await new Promise((r) => setTimeout(r, 1500));
    expect(await effects('dup')).toHaveLength(1);
  });

  it('dead-letters malformed input with the cause and keeps consuming the partition', async () => {
    await producer.sendTo(probe.name, [
      { key: 'same-key', value: '{not json' },
      { key: 'same-key', value: JSON.stringify(signed({ ...envelope('x', 1), payload: { probeId: 'x', sequence: -1 } })) },
      { key: 'same-key', value: JSON.stringify(signed({ ...envelope('x', 1), type: 'platform.probe.unheard-of' })) },
      { key: 'same-key', value: JSON.stringify(signed({ ...envelope('x', 1), schemaVersion: 2 })) },
      { key: 'same-key', value: JSON.stringify(envelope('x', 1)) },
      { key: 'same-key', value: JSON.stringify(signed({ ...envelope('x', 1), producer: 'lifecycle' })) },
      { key: 'same-key', value: JSON.stringify(signed(envelope('after-poison', 1))) },
    ]);
    await waitUntil(async () => (await effects('after-poison')).length === 1, 20_000, 'message after poison handled');
    const reasons = new Set<string>();
    await waitUntil(() => {
      watcher.messages.filter((m) => m.topic === dlq).forEach((m) => reasons.add(m.headers[Headers.failureReason]));
      return ['MALFORMED_JSON', 'PAYLOAD_INVALID', 'UNKNOWN_MESSAGE_TYPE', 'UNSUPPORTED_SCHEMA_VERSION', 'PRODUCER_SIGNATURE_INVALID', 'PRODUCER_NOT_AUTHORIZED'].every((r) => reasons.has(r));
    }, 20_000, 'six dead letters');
    const malformed = watcher.messages.find((m) => m.headers[Headers.failureReason] === 'MALFORMED_JSON')!;
    expect(malformed.value).toBe('{not json');
    expect(malformed.headers[Headers.originalTopic]).toBe(probe.name);
    expect(await effects('x')).toHaveLength(0);
  });

  it('retries a failing handler with backoff and applies it once', async () => {
    failures.set('flaky', 2);
    await producer.sendTo(probe.name, [{ key: 'flaky', value: JSON.stringify(signed(envelope('flaky', 1))) }]);
    await waitUntil(async () => (await effects('flaky')).length === 1, 30_000, 'flaky ping finally handled');
    expect((await effects('flaky'))[0].attempt).toBe(3);
  });

  it('dead-letters a genuine envelope copied to the retry topic with forged retry headers, without stalling the partition', async () => {
    const forged = (id: string, headers: Record<string, string>) => ({
      key: 'retry-forge',
      value: JSON.stringify(signed(envelope(id, 1))),
      headers: { [Headers.attempt]: '2', [Headers.originalTopic]: probe.name, ...headers },
    });
    await producer.sendTo(retryTopicName(probe.name), [
      forged('forged-far-future', { [Headers.retryAt]: String(Date.now() + 10 * 365 * 86_400_000) }),
      forged('forged-unstamped', { [Headers.retryAt]: String(Date.now()) }),
    ]);
    // A genuine retry on the same key (same retry partition) behind them is still handled.
    failures.set('retry-forge', 1);
    await producer.sendTo(probe.name, [{ key: 'retry-forge', value: JSON.stringify(signed(envelope('retry-forge', 1))) }]);
    await waitUntil(async () => (await effects('retry-forge')).length === 1, 30_000, 'the genuine retry handled behind the forged ones');
    expect((await effects('retry-forge'))[0].attempt).toBe(2);
    for (const id of ['forged-far-future', 'forged-unstamped']) {
      const dead = await watcher.waitFor((m) => m.topic === dlq && (m.value ?? '').includes(`"probeId":"${id}"`), 20_000, `${id} dead letter`);
      expect(dead.headers[Headers.failureReason]).toBe('RETRY_HEADERS_INVALID');
      expect(await effects(id)).toHaveLength(0);
    }
  }, 60_000);

  it('dead-letters a message that keeps failing, with the handler error as cause', async () => {
    const msg = signed(envelope('doomed', 1, 'fail-always'));
    await producer.sendTo(probe.name, [{ key: 'doomed', value: JSON.stringify(msg) }]);
    const dead = await watcher.waitFor((m) => m.topic === dlq && m.key === 'doomed', 60_000, 'doomed dead letter');
    expect(dead.headers[Headers.failureReason]).toBe('RETRIES_EXHAUSTED');
    expect(dead.headers[Headers.failureDetail]).toContain('probe handler always fails');
    expect(dead.headers[Headers.attempt]).toBe('5');
    expect(await effects('doomed')).toHaveLength(0);
  }, 70_000);

  it('dead-letters a non-retriable failure at once and rolls back its effect', async () => {
    await producer.sendTo(probe.name, [{ key: 'rej', value: JSON.stringify(signed(envelope('rej', 1, 'reject'))) }]);
    const dead = await watcher.waitFor((m) => m.topic === dlq && m.key === 'rej');
    expect(dead.headers[Headers.failureReason]).toBe('PROBE_REJECTED');
    expect(await effects('rej')).toHaveLength(0);
  });

  it('gives messages published by a handler the incoming message as cause and keeps the correlation id', async () => {
    const incoming = signed(envelope('chain', 1, 'echo'));
    await producer.sendTo(probe.name, [{ key: 'chain', value: JSON.stringify(incoming) }]);
    const echo = await watcher.waitFor((m) => m.key === 'chain-echo');
    expect(echo.headers[Headers.causationId]).toBe(incoming.messageId);
    expect(echo.headers[Headers.correlationId]).toBe(incoming.correlationId);
  });

  it('is readable by kcat with the same headers (independent client)', async () => {
    const outbox = app.get(Outbox);
    const sent = await ds.transaction((m) => outbox.publish(m, ProbePing, { probeId: 'kcat', sequence: 42 }));
    await watcher.waitFor((m) => m.headers[Headers.messageId] === sent.messageId);
    const all = await kcatRead(probe.name, watcher.messages.filter((m) => m.topic === probe.name).length);
    const seen = all.find((m) => m.key === 'kcat');
    expect(seen).toBeDefined();
    expect(JSON.parse(seen!.payload)).toMatchObject({ messageId: sent.messageId, payload: { sequence: 42 } });
    expect(seen!.headers).toEqual(expect.arrayContaining([Headers.messageId, sent.messageId, Headers.messageType, ProbePing.type]));
  });

  it('moves every instance\'s simulation clock when the clock authority sets it, and only then', async () => {
    const clock = app.get(Clock);
    const before = clock.now().getTime();
    const days = (n: number) => n * 24 * 3600 * 1000;
    const signedBy = (as: 'lifecycle' | 'sp-tsm' | 'probe', offsetMs: number) =>
      producer.sendTo(Topics.platformClock.name, [signedEnvelope(SimulationClockSet, { offsetMs, setBy: 'test' }, as, keys.keys.get(as)!.signingPkcs8)]);
    await signedBy('lifecycle', days(90));
    // in topic order: signed by services that are not the clock authority, beyond SIMULATION_CLOCK_MAX_JUMP_DAYS, backwards
    await signedBy('probe', days(120));
    await signedBy('sp-tsm', days(130));
    await signedBy('lifecycle', days(90 + 5000));
    await signedBy('lifecycle', days(10));
    await signedBy('lifecycle', days(91));
    await waitUntil(() => clock.offset === days(91), 20_000, 'clock offset applied');
    expect(clock.now().getTime() - before).toBeGreaterThanOrEqual(days(91));
  });

  it('serves liveness, readiness, metrics and OpenAPI', async () => {
    const http = request(app.getHttpServer());
    await http.get('/health/live').expect(200, { status: 'ok' });
    const ready = await http.get('/health/ready').expect(200);
    expect(ready.body.checks).toMatchObject({ database: { status: 'up' }, kafka: { status: 'up' }, consumers: { status: 'up' } });
    const metrics = await http.get('/metrics').expect(200);
    expect(metrics.text).toContain('messages_consumed_total');
    expect(metrics.text).toContain('outbox_published_total');
    const docs = await http.get('/docs-json').expect(200);
    expect(docs.body.info.title).toBe('probe');
    const res = await http.get('/health/live').set('x-correlation-id', 'abc-123');
    expect(res.headers['x-correlation-id']).toBe('abc-123');
  });

  it('finishes an in-flight message before the consumer stops, and deletes its own clock-feed group', async () => {
    const admin = kafkaClient('probe-test', testKafkaBrokers()).admin();
    await admin.connect();
    const clockGroups = async () =>
      (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.startsWith(`${testTopicPrefix()}probe.clock.`));
    expect(await clockGroups()).toHaveLength(1);

    slowHandlers.delayMs = 1500;
    await producer.sendTo(probe.name, [{ key: 'slow', value: JSON.stringify(signed(envelope('slow', 1))) }]);
    await new Promise((r) => setTimeout(r, 700)); // the handler is now sleeping inside its transaction
    const schema = (ds.options as { schema?: string }).schema;
    await app.close();
    slowHandlers.delayMs = 0;
    expect(await clockGroups()).toEqual([]);
    await admin.disconnect();
    const check = new DataSource({ type: 'postgres', url: testDatabaseUrl(), extra: { options: `-c search_path=${schema}` } });
    await check.initialize();
    const rows = await check.query(`SELECT count(*)::int AS n FROM probe_effect WHERE probe_id = 'slow'`);
    await check.destroy();
    expect(rows[0].n).toBe(1);
    app = undefined as unknown as INestApplication;
  });
});
