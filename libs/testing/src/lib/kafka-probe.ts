import { randomUUID } from 'node:crypto';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Consumer, Kafka, KafkaMessage, Producer } from 'kafkajs';
import { Headers, type Envelope, type MessageDefinition, type PayloadInput, type PayloadOf } from '@jpki/contracts';
import { headerString, kafkaClient, kafkaSaslFromEnv, ProducerIdentity } from '@jpki/messaging';
import { testKafkaBrokers, testTopicPrefix } from './test-run';

export interface ReceivedMessage {
  topic: string;
  partition: number;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
  json<T = Record<string, unknown>>(): T;
}

function toReceived(topic: string, partition: number, m: KafkaMessage): ReceivedMessage {
  const headers: Record<string, string> = {};
  for (const k of Object.keys(m.headers ?? {})) headers[k] = headerString(m.headers, k) ?? '';
  const value = m.value?.toString('utf8') ?? null;
  return { topic, partition, key: m.key?.toString('utf8') ?? null, value, headers, json: <T>() => JSON.parse(value ?? 'null') as T };
}

/** Reads test topics (logical names; this run's prefix is added) from the beginning. */
export class TopicWatcher {
  readonly messages: ReceivedMessage[] = [];
  private consumer?: Consumer;

  constructor(
    private readonly kafka: Kafka = kafkaClient('test-watcher', testKafkaBrokers()),
    /** Topic prefix; defaults to this run's. */
    private readonly prefix = testTopicPrefix(),
  ) {}

  async watch(...logicalTopics: string[]): Promise<this> {
    this.consumer = this.kafka.consumer({ groupId: `watcher-${randomUUID()}`, maxWaitTimeInMs: 500 });
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: logicalTopics.map((t) => this.prefix + t), fromBeginning: true });
    await this.consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        this.messages.push(toReceived(topic.slice(this.prefix.length), partition, message));
      },
    });
    return this;
  }

  async waitFor(predicate: (m: ReceivedMessage) => boolean, timeoutMs = 20_000, what = 'message'): Promise<ReceivedMessage> {
    const found = await waitUntil(() => this.messages.find(predicate), timeoutMs, what);
    return found;
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
  }
}

type RawMessage = { key?: string; value: string | Buffer; headers?: Record<string, string> };

export async function rawProducer(prefix = testTopicPrefix()): Promise<Producer & { sendTo(logicalTopic: string, messages: RawMessage[]): Promise<void> }> {
  const producer = kafkaClient('test-producer', testKafkaBrokers()).producer({ allowAutoTopicCreation: false });
  await producer.connect();
  return Object.assign(producer, {
    async sendTo(logicalTopic: string, messages: RawMessage[]) {
      await producer.send({ topic: prefix + logicalTopic, acks: -1, messages });
    },
  });
}

/**
 * A signed envelope as the named platform service would produce it (tests play that service,
 * e.g. the lifecycle service asking the SP-TSM to suspend a phone).
 */
export function signedEnvelope<D extends MessageDefinition>(def: D, input: PayloadInput<D>, producer: string, signingPkcs8: string, correlationId = randomUUID()): { key: string; value: string; headers: Record<string, string> } {
  const payload = def.schema.parse(input) as PayloadOf<D>;
  const unsigned: Envelope = {
    messageId: randomUUID(),
    type: def.type,
    schemaVersion: def.schemaVersion,
    correlationId,
    causationId: null,
    occurredAt: new Date().toISOString(),
    producer,
    payload,
  };
  const envelope = { ...unsigned, signature: ProducerIdentity.fromBase64Pkcs8(producer, signingPkcs8).sign(unsigned) };
  return {
    key: def.key(payload),
    value: JSON.stringify(envelope),
    headers: { [Headers.messageId]: envelope.messageId, [Headers.messageType]: def.type, [Headers.correlationId]: correlationId },
  };
}

/** Polls until `fn` returns a truthy value or the timeout passes (then throws naming `what`). */
export async function waitUntil<T>(fn: () => T | undefined | null | false | Promise<T | undefined | null | false>, timeoutMs = 20_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * kcat's options for the principal of KAFKA_SASL_* (the admin in tests), as a config file readable by this user only
 * (a password on the command line would show in process lists and in a failed command's message). PLAIN, not SCRAM:
 * Debian's librdkafka 2.0 fails SCRAM against Kafka 4 (fixed in librdkafka 2.6.1); the local broker takes both.
 */
export function kcatSasl(env: NodeJS.ProcessEnv = process.env): string[] {
  const sasl = kafkaSaslFromEnv(env);
  if (!sasl) return [];
  const file = join(tmpdir(), `kcat-${sasl.username}-${process.pid}.conf`);
  writeFileSync(file, `security.protocol=SASL_PLAINTEXT\nsasl.mechanisms=PLAIN\nsasl.username=${sasl.username}\nsasl.password=${sasl.password}\n`, { mode: 0o600 });
  return ['-F', file];
}

/**
 * kcat (Debian package) as an independent reader of a topic: returns one JSON object per message
 * with kcat's own view of key, headers and payload.
 */
export async function kcatRead(logicalTopic: string, count: number, timeoutMs = 15_000): Promise<{ key: string; payload: string; headers: string[] }[]> {
  const { stdout } = await promisify(execFile)(
    'kcat',
    ['-C', '-b', testKafkaBrokers()[0], ...kcatSasl(), '-t', testTopicPrefix() + logicalTopic, '-o', 'beginning', '-c', String(count), '-e', '-J', '-q'],
    { timeout: timeoutMs },
  );
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { key: string; payload: string; headers?: string[] })
    .map((m) => ({ key: m.key, payload: m.payload, headers: m.headers ?? [] }));
}
