import { randomUUID } from 'node:crypto';
import type { IHeaders, Kafka, KafkaMessage } from 'kafkajs';
import { allTopics, deadLetterTopicName, Headers } from '@jpki/contracts';
import { DeadLetterHeaders, headerString, isInfrastructureFailure } from '@jpki/messaging';
import type { RedriveLedger, RedriveRecord } from './redrive-ledger';

/** A record on a dead-letter topic, decoded: where it came from, why it failed, and the envelope it carries. */
export interface DeadLetter {
  /** `<logical dlq topic>:<partition>:<offset>`, the handle operators pass to inspect and redrive. */
  id: string;
  deadLetterTopic: string;
  partition: number;
  offset: string;
  originalTopic: string;
  reason: string;
  detail: string;
  failedBy: string | null;
  failedAt: string | null;
  messageId: string | null;
  messageType: string | null;
  key: string | null;
  /** A summary standing for a message too large to copy: the original bytes are not here, so it cannot be redriven. */
  truncated: boolean;
  /** The cause is the database or broker being away, which consumers must wait out, never dead-letter. */
  infrastructureFailure: boolean;
  headers: Record<string, string>;
  value: string | null;
}

export interface RedriveOutcome {
  id: string;
  outcome: 'redriven' | 'refused';
  why?: string;
  to?: string;
  previously?: RedriveRecord;
}

/** Headers the inbox and the delivery policy add on the way to the dead-letter topic; a redriven copy starts afresh. */
const DELIVERY_HEADERS = new Set<string>([
  Headers.attempt,
  Headers.retryAt,
  Headers.retryStamp,
  Headers.originalTopic,
  Headers.failureReason,
  Headers.failureDetail,
  Headers.failedBy,
  'x-failed-at',
]);
export const REDRIVEN_FROM_HEADER = 'x-redriven-from';
const READ_TIMEOUT_MS = 60_000;

/** Logical names of every declared dead-letter topic (libs/contracts). */
export function deadLetterTopics(): string[] {
  return allTopics()
    .filter((t) => t.withRetryAndDeadLetter)
    .map((t) => deadLetterTopicName(t.name));
}

export function parseDeadLetterId(id: string): { topic: string; partition: number; offset: string } {
  const match = /^(.+\.dlq):(\d+):(\d+)$/.exec(id);
  if (!match) throw new Error(`not a dead-letter id: ${id} (expected <topic>.dlq:<partition>:<offset>)`);
  return { topic: match[1], partition: Number(match[2]), offset: match[3] };
}

function plainHeaders(headers: IHeaders | undefined): Record<string, string> {
  return Object.fromEntries(Object.keys(headers ?? {}).map((k) => [k, headerString(headers, k) ?? '']));
}

function decode(topic: string, partition: number, m: KafkaMessage): DeadLetter {
  const headers = plainHeaders(m.headers);
  const detail = headers[Headers.failureDetail] ?? '';
  return {
    id: `${topic}:${partition}:${m.offset}`,
    deadLetterTopic: topic,
    partition,
    offset: m.offset,
    originalTopic: headers[Headers.originalTopic] ?? topic.replace(/\.dlq$/, ''),
    reason: headers[Headers.failureReason] ?? 'UNKNOWN',
    detail,
    failedBy: headers[Headers.failedBy] ?? null,
    failedAt: headers['x-failed-at'] ?? null,
    messageId: headers[Headers.messageId] ?? null,
    messageType: headers[Headers.messageType] ?? null,
    key: m.key?.toString('utf8') ?? null,
    truncated: headers[DeadLetterHeaders.truncated] === 'true',
    infrastructureFailure: isInfrastructureFailure({ message: detail }) || /\b(ECONNREFUSED|ECONNRESET|ETIMEDOUT|KafkaJSConnectionError|KafkaJSNumberOfRetriesExceeded)\b/.test(detail),
    headers,
    value: m.value?.toString('utf8') ?? null,
  };
}

/**
 * The platform's dead-letter topics for one environment prefix, read whole (a private consumer group that commits
 * nothing), and redriven to their original topics. A redrive re-publishes the original bytes (the producer's signed
 * envelope, its message id) so the consumer's inbox still applies it at most once; the ledger refuses a second
 * redrive of the same dead letter.
 */
export class DeadLetterArchive {
  constructor(
    private readonly kafka: Kafka,
    private readonly topicPrefix: string,
    private readonly ledger: RedriveLedger,
    /** Whose consumer groups read the archive (`<prefix><reader>.dlq.…`): a service principal may use only its own. */
    private readonly reader = 'dlq-tool',
  ) {}

  /** Every dead letter on the declared `.dlq` topics (or only `topic`, a logical name with or without `.dlq`). */
  async list(topic?: string): Promise<DeadLetter[]> {
    const wanted = topic ? [topic.endsWith('.dlq') ? topic : deadLetterTopicName(topic)] : deadLetterTopics();
    const unknown = wanted.filter((t) => !deadLetterTopics().includes(t));
    if (unknown.length > 0) throw new Error(`no declared dead-letter topic ${unknown.join(', ')}`);
    return this.read(wanted);
  }

  async inspect(id: string): Promise<DeadLetter & { redriven: RedriveRecord | null }> {
    const { topic } = parseDeadLetterId(id);
    const found = (await this.read([topic])).find((d) => d.id === id);
    if (!found) throw new Error(`no dead letter ${id}`);
    return { ...found, redriven: await this.ledger.find(this.topicPrefix, id) };
  }

  async redrive(ids: string[], operator: string): Promise<RedriveOutcome[]> {
    const byTopic = new Map<string, DeadLetter[]>();
    const outcomes: RedriveOutcome[] = [];
    for (const id of ids) {
      const { topic } = parseDeadLetterId(id);
      if (!byTopic.has(topic)) byTopic.set(topic, await this.read([topic]));
      const letter = byTopic.get(topic)?.find((d) => d.id === id);
      outcomes.push(letter ? await this.redriveOne(letter, operator) : { id, outcome: 'refused', why: 'no such dead letter' });
    }
    return outcomes;
  }

  /** Redrives every dead letter not redriven yet (optionally on one topic). */
  async redriveAll(operator: string, topic?: string): Promise<RedriveOutcome[]> {
    const letters = await this.list(topic);
    const outcomes: RedriveOutcome[] = [];
    for (const letter of letters) outcomes.push(await this.redriveOne(letter, operator));
    return outcomes;
  }

  private async redriveOne(letter: DeadLetter, operator: string): Promise<RedriveOutcome> {
    if (letter.truncated) return { id: letter.id, outcome: 'refused', why: 'a summary of a message too large to copy: the original bytes are not in the dead letter' };
    const to = this.topicPrefix + letter.originalTopic;
    const claim = await this.ledger.claim(this.topicPrefix, letter, operator, async () => {
      const producer = this.kafka.producer({ allowAutoTopicCreation: false });
      await producer.connect();
      try {
        const headers = Object.fromEntries(Object.entries(letter.headers).filter(([k]) => !DELIVERY_HEADERS.has(k)));
        await producer.send({ topic: to, acks: -1, messages: [{ key: letter.key, value: letter.value, headers: { ...headers, [REDRIVEN_FROM_HEADER]: letter.id } }] });
      } finally {
        await producer.disconnect();
      }
    });
    return claim.claimed ? { id: letter.id, outcome: 'redriven', to } : { id: letter.id, outcome: 'refused', why: 'already redriven', previously: claim.previously };
  }

  private async read(topics: string[]): Promise<DeadLetter[]> {
    const admin = this.kafka.admin();
    await admin.connect();
    const ends = new Map<string, Map<number, bigint>>();
    try {
      const existing = new Set(await admin.listTopics());
      const missing = topics.map((t) => this.topicPrefix + t).filter((t) => !existing.has(t));
      if (missing.length > 0) throw new Error(`no topic ${missing.join(', ')} on the broker: is the topic prefix right?`);
      for (const topic of topics) {
        const offsets = await admin.fetchTopicOffsets(this.topicPrefix + topic);
        const nonEmpty = offsets.filter((o) => BigInt(o.high) > BigInt(o.low));
        if (nonEmpty.length > 0) ends.set(topic, new Map(nonEmpty.map((o) => [o.partition, BigInt(o.high)])));
      }
    } finally {
      await admin.disconnect();
    }
    if (ends.size === 0) return [];
    return this.consumeUntil(ends);
  }

  private async consumeUntil(ends: Map<string, Map<number, bigint>>): Promise<DeadLetter[]> {
    const groupId = `${this.topicPrefix}${this.reader}.dlq.${randomUUID()}`;
    const consumer = this.kafka.consumer({ groupId, maxWaitTimeInMs: 200 });
    const letters: DeadLetter[] = [];
    const pending = new Set([...ends].flatMap(([t, parts]) => [...parts.keys()].map((p) => `${t}/${p}`)));
    await consumer.connect();
    try {
      await consumer.subscribe({ topics: [...ends.keys()].map((t) => this.topicPrefix + t), fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`dead-letter topics not read to their end within ${READ_TIMEOUT_MS} ms: ${[...pending].join(', ')}`)), READ_TIMEOUT_MS);
        const done = () => {
          clearTimeout(timer);
          resolve();
        };
        consumer
          .run({
            autoCommit: false,
            eachMessage: async ({ topic, partition, message }) => {
              const logical = topic.slice(this.topicPrefix.length);
              const end = ends.get(logical)?.get(partition) ?? 0n;
              if (BigInt(message.offset) < end) letters.push(decode(logical, partition, message));
              if (BigInt(message.offset) + 1n >= end && pending.delete(`${logical}/${partition}`) && pending.size === 0) done();
            },
          })
          .catch(reject);
      });
    } finally {
      await consumer.disconnect();
      await this.forgetGroup(groupId);
    }
    return letters.sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true }));
  }

  private async forgetGroup(groupId: string): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      await admin.deleteGroups([groupId]);
    } catch {
      // A group that never committed may already be gone; it holds no offsets either way.
    } finally {
      await admin.disconnect();
    }
  }
}
