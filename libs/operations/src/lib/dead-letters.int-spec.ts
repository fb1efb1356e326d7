import { randomUUID } from 'node:crypto';
import { Controller, Module, type DynamicModule, type INestApplication } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import type { MigrationInterface, QueryRunner } from 'typeorm';
import { DataSource } from 'typeorm';
import { ProbePing, Topics, type PayloadOf } from '@jpki/contracts';
import { CreateMessagingTables1700000000000, kafkaClient, MessageContext, subscriptionsOf } from '@jpki/messaging';
import { baseConfigSchema, createServiceApp, loadConfig, ServiceKitModule, type ServiceDefinition } from '@jpki/service-kit';
import { rawProducer, signedEnvelope, StackKeys, testDatabaseUrl, testKafkaBrokers, testSchema, testTopicPrefix, waitUntil } from '@jpki/testing';
import { DeadLetterArchive, REDRIVEN_FROM_HEADER } from './dead-letters';
import { RedriveLedger } from './redrive-ledger';

/** The cause an operator fixes before redriving: pings of these probes fail in the handler. */
const broken = new Set<string>();

class CreatePingEffects1700000000001 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE ping_effect (id BIGSERIAL PRIMARY KEY, probe_id TEXT NOT NULL, redriven_from TEXT)`);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE ping_effect`);
  }
}

@Controller()
class PingHandler {
  @EventPattern(ProbePing.type)
  async onPing(@Payload() ping: PayloadOf<typeof ProbePing>, @Ctx() ctx: MessageContext): Promise<void> {
    if (broken.has(ping.probeId)) throw new Error(`downstream table for ${ping.probeId} is missing`);
    await ctx.manager.query(`INSERT INTO ping_effect (probe_id) VALUES ($1)`, [ping.probeId]);
  }
}

@Module({})
class PingModule {
  static register(def: ServiceDefinition): DynamicModule {
    return { module: PingModule, imports: [ServiceKitModule.forRoot(def)], controllers: [PingHandler] };
  }
}

const keys = new StackKeys(['probe']);

describe('DLQ tool on the real broker and database', () => {
  let app: INestApplication;
  let ds: DataSource;
  let ledger: RedriveLedger;
  let archive: DeadLetterArchive;
  let producer: Awaited<ReturnType<typeof rawProducer>>;
  const ledgerSchema = testSchema('dlq_ledger');

  const effects = async (probeId: string) => ((await ds.query(`SELECT count(*)::int AS n FROM ping_effect WHERE probe_id = $1`, [probeId])) as { n: number }[])[0].n;

  beforeAll(async () => {
    const config = loadConfig(baseConfigSchema, {
      HTTP_PORT: '0',
      DB_SCHEMA: testSchema('dlq_probe'),
      DATABASE_URL: testDatabaseUrl(),
      KAFKA_BROKERS: testKafkaBrokers().join(','),
      KAFKA_TOPIC_PREFIX: testTopicPrefix(),
      LOG_LEVEL: 'warn',
      ...keys.envFor('probe'),
    });
    const def: ServiceDefinition = { name: 'probe', config, entities: [], migrations: [CreateMessagingTables1700000000000, CreatePingEffects1700000000001], subscriptions: subscriptionsOf('probe') };
    app = await createServiceApp({ definition: def, module: PingModule.register(def), openApi: { title: 'probe', description: 'DLQ tool test service' } });
    await app.listen(0, '127.0.0.1');
    ds = app.get(DataSource);
    ledger = new RedriveLedger(testDatabaseUrl(), ledgerSchema);
    await ledger.ensure();
    archive = new DeadLetterArchive(kafkaClient('dlq-tool-test', testKafkaBrokers()), testTopicPrefix(), ledger);
    producer = await rawProducer();
  }, 60_000);

  afterAll(async () => {
    await producer?.disconnect();
    await app?.close();
    await ledger?.close();
    if (process.env['KEEP_TEST_DATA'] !== '1') {
      const { Client } = await import('pg');
      const db = new Client({ connectionString: testDatabaseUrl() });
      await db.connect();
      await db.query(`DROP SCHEMA IF EXISTS "${ledgerSchema}" CASCADE`);
      await db.end();
    }
  });

  it('lists a poison message with its cause, redrives it once the cause is fixed, and refuses a second redrive', async () => {
    broken.add('poison');
    const ping = signedEnvelope(ProbePing, { probeId: 'poison', sequence: 1 }, 'probe', keys.keys.get('probe')!.signingPkcs8);
    const messageId = JSON.parse(ping.value).messageId as string;
    await producer.sendTo(Topics.platformProbe.name, [ping]);

    const letter = await waitUntil(async () => (await archive.list('platform.probe')).find((d) => d.messageId === messageId), 60_000, 'the poison ping dead-lettered');
    expect(letter).toMatchObject({
      deadLetterTopic: 'platform.probe.dlq',
      originalTopic: 'platform.probe',
      reason: 'RETRIES_EXHAUSTED',
      failedBy: 'probe',
      messageType: ProbePing.type,
      truncated: false,
      infrastructureFailure: false,
    });
    expect(letter.detail).toContain('downstream table for poison is missing');
    expect((await archive.list()).map((d) => d.id)).toContain(letter.id);
    expect(await archive.inspect(letter.id)).toMatchObject({ id: letter.id, value: ping.value, redriven: null });
    expect(await effects('poison')).toBe(0);

    broken.delete('poison');
    const [first] = await archive.redrive([letter.id], 'operator@test');
    expect(first).toMatchObject({ id: letter.id, outcome: 'redriven', to: `${testTopicPrefix()}platform.probe` });
    await waitUntil(async () => (await effects('poison')) === 1, 30_000, 'the redriven ping handled');

    const [second] = await archive.redrive([letter.id], 'operator@test');
    expect(second).toMatchObject({ id: letter.id, outcome: 'refused', why: 'already redriven', previously: { operator: 'operator@test', messageId } });
    const again = await archive.redriveAll('operator@test', 'platform.probe');
    expect(again.find((o) => o.id === letter.id)).toMatchObject({ outcome: 'refused' });
    expect((await archive.inspect(letter.id)).redriven).toMatchObject({ deadLetterId: letter.id, operator: 'operator@test' });
    await new Promise((r) => setTimeout(r, 2000));
    expect(await effects('poison')).toBe(1);
  }, 120_000);

  it('sends the original signed bytes back without the delivery headers, marked as redriven', async () => {
    // Unique: other suites of the same run dead-letter malformed pings on this topic too (and the test above redrives them all).
    const malformed = `{not json ${randomUUID()}`;
    await producer.sendTo(Topics.platformProbe.name, [{ key: 'bad', value: malformed, headers: { 'message-id': 'not-a-uuid' } }]);
    const letter = await waitUntil(async () => (await archive.list('platform.probe')).find((d) => d.value === malformed), 30_000, 'the malformed message dead-lettered');
    expect(letter.reason).toBe('MALFORMED_JSON');
    const dlqReader = kafkaClient('dlq-tool-test-reader', testKafkaBrokers());
    const [outcome] = await archive.redrive([letter.id], 'operator@test');
    expect(outcome.outcome).toBe('redriven');
    // Still malformed: the consumer dead-letters the copy again, now marked with where it was redriven from.
    const copy = await waitUntil(async () => (await new DeadLetterArchive(dlqReader, testTopicPrefix(), ledger).list('platform.probe')).find((d) => d.headers[REDRIVEN_FROM_HEADER] === letter.id), 30_000, 'the redriven copy dead-lettered again');
    expect(copy).toMatchObject({ value: malformed, reason: 'MALFORMED_JSON', key: 'bad' });
    expect(copy.headers['x-attempt']).toBeUndefined();
  }, 90_000);
});
