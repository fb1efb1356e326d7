import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import type { Kafka } from 'kafkajs';
import { KAFKA_ADMIN_PRINCIPAL, Topics } from '@jpki/contracts';
import { deleteTopicsWithPrefix, ensureTopics, kafkaClient, kafkaSaslFromEnv, localKafkaEnv } from '@jpki/messaging';
import { kcatSasl, testKafkaBrokers, testTopicPrefix } from '@jpki/testing';

/** The broker's answer to a principal, as the error kafkajs reports (its own type or its cause's). */
function refusal(err: unknown): string | undefined {
  const e = err as { type?: string; name?: string; cause?: { type?: string } };
  return e.cause?.type ?? e.type ?? e.name;
}

/**
 * The local broker enforces the ACLs libs/contracts declares (kafkaGrants, applied by ensureTopics): each service
 * principal authenticates with SCRAM-SHA-512 and may write only the topics its messages are routed to and read only
 * the topics it consumes, through consumer groups named after it.
 */
describe('Kafka authentication and ACLs on the real broker', () => {
  // Topics of this file only, so that their end offsets show what was written.
  const prefix = `${testTopicPrefix()}acl${Date.now().toString(36).slice(-4)}.`;
  const as = (principal: string): Kafka => kafkaClient(`acl-test-${principal}`, testKafkaBrokers(), kafkaSaslFromEnv(localKafkaEnv(principal)));
  const admin = kafkaClient('acl-test-admin', testKafkaBrokers());

  const endOffset = async (logicalTopic: string): Promise<number> => {
    const a = admin.admin();
    await a.connect();
    try {
      return (await a.fetchTopicOffsets(prefix + logicalTopic)).reduce((sum, p) => sum + Number(p.high), 0);
    } finally {
      await a.disconnect();
    }
  };

  const send = async (principal: string, logicalTopic: string): Promise<string> => {
    const producer = as(principal).producer({ allowAutoTopicCreation: false, retry: { retries: 0 } });
    await producer.connect();
    try {
      await producer.send({ topic: prefix + logicalTopic, acks: -1, messages: [{ key: 'acl', value: `from ${principal}` }] });
      return 'written';
    } catch (err) {
      return refusal(err) ?? String(err);
    } finally {
      await producer.disconnect();
    }
  };

  /** 'read' once the principal got the admin's message off the topic, or the broker's refusal. */
  const read = async (principal: string, logicalTopic: string, groupId: string): Promise<string> => {
    const consumer = as(principal).consumer({ groupId, retry: { retries: 0 } });
    const outcome = new Promise<string>((resolve) => consumer.on(consumer.events.CRASH, (e) => resolve(refusal(e.payload.error) ?? 'crashed')));
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [prefix + logicalTopic], fromBeginning: true });
      const got = new Promise<string>((resolve) => void consumer.run({ eachMessage: async () => resolve('read') }).catch((err: unknown) => resolve(refusal(err) ?? String(err))));
      return await Promise.race([got, outcome]);
    } catch (err) {
      return refusal(err) ?? String(err);
    } finally {
      await consumer.disconnect();
    }
  };

  beforeAll(async () => {
    expect(kafkaSaslFromEnv()?.username).toBe(KAFKA_ADMIN_PRINCIPAL);
    const { acls } = await ensureTopics(admin, prefix);
    expect(acls).toBeGreaterThan(100);
  }, 60_000);

  afterAll(async () => {
    await deleteTopicsWithPrefix(admin, prefix);
  }, 60_000);

  it('lets the vsim write the OTA uplink its responses are routed to', async () => {
    const before = await endOffset(Topics.otaUp.docomo.name);
    expect(await send('vsim', Topics.otaUp.docomo.name)).toBe('written');
    expect(await endOffset(Topics.otaUp.docomo.name)).toBe(before + 1);
  }, 30_000);

  it('refuses the vsim writing the CA’s events (TOPIC_AUTHORIZATION_FAILED) and nothing reaches the topic', async () => {
    expect(await send('vsim', Topics.caEvents.name)).toBe('TOPIC_AUTHORIZATION_FAILED');
    expect(await endOffset(Topics.caEvents.name)).toBe(0);
  }, 30_000);

  it('keeps each MNO-TSM to its own carrier: docomo’s may not send scripts down KDDI’s OTA bearer', async () => {
    expect(await send('mno-tsm-docomo', Topics.otaDown.docomo.name)).toBe('written');
    expect(await send('mno-tsm-docomo', Topics.otaDown.kddi.name)).toBe('TOPIC_AUTHORIZATION_FAILED');
    expect(await endOffset(Topics.otaDown.kddi.name)).toBe(0);
  }, 30_000);

  it('refuses kcat writing as the vsim to the CA’s commands (an independent client, librdkafka)', async () => {
    const vsim = kcatSasl(localKafkaEnv('vsim'));
    const kcat = promisify(execFile)('kcat', ['-P', '-b', testKafkaBrokers()[0], ...vsim, '-t', prefix + Topics.caCommands.name], { timeout: 15_000 });
    kcat.child.stdin!.end('forged\n');
    await expect(kcat).rejects.toMatchObject({ stderr: expect.stringMatching(/authoriz/i) });
    expect(await endOffset(Topics.caCommands.name)).toBe(0);
  }, 30_000);

  it('refuses reading another service’s topic, and another service’s consumer group', async () => {
    const producer = admin.producer();
    await producer.connect();
    await producer.send({ topic: prefix + Topics.spTsmCommands.name, messages: [{ value: 'for sp-tsm' }] });
    await producer.send({ topic: prefix + Topics.mnoCommands.docomo.name, messages: [{ value: 'for mno-tsm-docomo' }] });
    await producer.disconnect();
    expect(await read('sp-tsm', Topics.spTsmCommands.name, `${prefix}sp-tsm.${randomUUID()}`)).toBe('read');
    // sp-tsm writes docomo's MNO commands but may not read them.
    expect(await read('sp-tsm', Topics.mnoCommands.docomo.name, `${prefix}sp-tsm.${randomUUID()}`)).toBe('TOPIC_AUTHORIZATION_FAILED');
    // The same principal and topic through the CA's group: the broker answers FindCoordinator with
    // GROUP_AUTHORIZATION_FAILED, which kafkajs reports as a coordinator it could not find.
    expect(await read('sp-tsm', Topics.spTsmCommands.name, `${prefix}jpki-ca`)).toBe('KafkaJSGroupCoordinatorNotFound');
  }, 60_000);

  it('refuses a principal with a wrong password', async () => {
    const producer = kafkaClient('acl-test-wrong', testKafkaBrokers(), { mechanism: 'scram-sha-512', username: 'vsim', password: 'not-the-password' }).producer({ retry: { retries: 0 } });
    await expect(producer.connect()).rejects.toMatchObject({ name: 'KafkaJSSASLAuthenticationError' });
  }, 30_000);
});
