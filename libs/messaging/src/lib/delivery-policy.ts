import { createHash } from 'node:crypto';
import type { IHeaders, KafkaMessage, Producer } from 'kafkajs';
import { Headers, deadLetterTopicName, retryTopicName } from '@jpki/contracts';
import { counter, createLogger } from '@jpki/observability';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './messaging-options';
import type { ProducerIdentity } from './producer-identity';

const DETAIL_LIMIT = 2000;
/** Clock difference between replicas tolerated on a retry's due time. */
const RETRY_CLOCK_SLACK_MS = 60_000;
/** Headers a dead-letter summary keeps from the original (each cut to HEADER_LIMIT characters); the rest are dropped. */
const SUMMARY_HEADERS = [Headers.messageId, Headers.messageType, Headers.schemaVersion, Headers.correlationId, Headers.causationId, Headers.traceparent, Headers.producer];
const HEADER_LIMIT = 256;
/** How much of the original value a summary quotes. */
const SUMMARY_HEAD_BYTES = 1024;

/** Headers of a dead letter that stands for a message too large to copy. */
export const DeadLetterHeaders = {
  truncated: 'x-dead-letter-truncated',
  originalBytes: 'x-original-bytes',
  originalSha256: 'x-original-sha256',
  originalOffset: 'x-original-offset',
} as const;

/** True when Kafka refused a record for its size (MESSAGE_TOO_LARGE, RECORD_LIST_TOO_LARGE), wherever kafkajs wrapped it. */
export function isRecordTooLarge(err: unknown): boolean {
  const seen = new Set<unknown>();
  const pending = [err];
  while (pending.length > 0) {
    const e = pending.pop() as { type?: unknown; code?: unknown; cause?: unknown; originalError?: unknown; errors?: unknown } | null | undefined;
    if (!e || typeof e !== 'object' || seen.has(e)) continue;
    seen.add(e);
    if (e.type === 'MESSAGE_TOO_LARGE' || e.type === 'RECORD_LIST_TOO_LARGE' || e.code === 10 || e.code === 18) return true;
    pending.push(e.cause, e.originalError, ...(Array.isArray(e.errors) ? e.errors : []));
  }
  return false;
}

export function headerString(headers: IHeaders | undefined, name: string): string | undefined {
  const v = headers?.[name];
  if (v === undefined) return undefined;
  const first = Array.isArray(v) ? v[0] : v;
  return first === undefined ? undefined : first.toString();
}

function plainHeaders(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(headers ?? {})) {
    const v = headerString(headers, key);
    if (v !== undefined) out[key] = v;
  }
  return out;
}

/**
 * Where a failed message goes next: the retry topic with exponential backoff, then the
 * dead-letter topic with the cause. The original bytes travel unchanged, so nothing is lost and
 * the partition is never blocked.
 *
 * Except when they cannot: a message close to the topic's max.message.bytes no longer fits once the
 * failure headers are added, and a copy the broker refuses would fail the consumer on that message
 * again and again (a poison pill blocking its partition). Such a message is dead-lettered as a
 * summary instead: its cause, size, SHA-256, source offset, identifying headers and its first
 * kilobyte (`x-dead-letter-truncated: true`); the original stays in its topic for the topic's
 * retention. A copy too large for the retry topic is dead-lettered at once (RETRY_COPY_TOO_LARGE).
 */
export class DeliveryPolicy {
  private readonly policy: RetryPolicy;
  private readonly log = createLogger('delivery-policy');
  private readonly outcomes = counter('messages_redirected_total', 'Messages sent to retry or dead-letter topics', [
    'topic',
    'destination',
    'reason',
  ]);

  constructor(
    private readonly producer: Producer,
    private readonly topicPrefix: string,
    private readonly consumerName: string,
    policy: Partial<RetryPolicy> = {},
    private readonly identity?: ProducerIdentity,
  ) {
    this.policy = { ...DEFAULT_RETRY_POLICY, ...policy };
  }

  /**
   * Why a message on a retry topic must not be retried, or null. Retry headers travel outside the producer's signed
   * envelope, so anyone able to write the retry topic could copy a genuine envelope there with a far-future
   * `x-retry-at` and stall the partition: the consumer stamps the headers it schedules with its own key, and never
   * waits longer than its own backoff allows.
   */
  retryRefusal(logicalTopic: string, message: KafkaMessage, now = Date.now()): string | null {
    const attempt = this.attemptOf(message);
    const due = Number(headerString(message.headers, Headers.retryAt));
    if (!Number.isInteger(attempt) || attempt < 2 || attempt > this.policy.maxAttempts) return `attempt ${headerString(message.headers, Headers.attempt)} is not one this consumer schedules`;
    if (!Number.isFinite(due) || due > now + this.policy.maxDelayMs + RETRY_CLOCK_SLACK_MS) return `x-retry-at ${headerString(message.headers, Headers.retryAt)} lies beyond this consumer's longest backoff`;
    if (!this.identity) return null;
    const stamp = headerString(message.headers, Headers.retryStamp);
    if (!stamp || !this.identity.stamped(this.retryStampInput(logicalTopic, message, attempt, due), stamp)) return `the retry headers are not stamped by ${this.consumerName}`;
    return null;
  }

  private retryStampInput(logicalTopic: string, message: KafkaMessage, attempt: number, due: number): Buffer {
    const value = createHash('sha256').update(message.value ?? Buffer.alloc(0)).digest('hex');
    return Buffer.from([this.consumerName, logicalTopic, message.key?.toString('hex') ?? '', attempt, due, value].join('\n'), 'utf8');
  }

  attemptOf(message: KafkaMessage): number {
    return Number(headerString(message.headers, Headers.attempt) ?? '1');
  }

  delayFor(attempt: number): number {
    return Math.min(this.policy.initialDelayMs * 2 ** (attempt - 1), this.policy.maxDelayMs);
  }

  async retryOrDeadLetter(logicalTopic: string, message: KafkaMessage, error: unknown): Promise<'retry' | 'dead-letter'> {
    const attempt = this.attemptOf(message);
    if (attempt >= this.policy.maxAttempts) {
      await this.deadLetter(logicalTopic, message, 'RETRIES_EXHAUSTED', describe(error));
      return 'dead-letter';
    }
    const due = Date.now() + this.delayFor(attempt);
    const headers: Record<string, string> = {
      ...plainHeaders(message.headers),
      [Headers.attempt]: String(attempt + 1),
      [Headers.retryAt]: String(due),
      [Headers.originalTopic]: logicalTopic,
      [Headers.failureDetail]: describe(error).slice(0, DETAIL_LIMIT),
    };
    if (this.identity) headers[Headers.retryStamp] = this.identity.stamp(this.retryStampInput(logicalTopic, message, attempt + 1, due));
    try {
      await this.producer.send({
        topic: this.topicPrefix + retryTopicName(logicalTopic),
        acks: -1,
        messages: [{ key: message.key, value: message.value, headers }],
      });
    } catch (err) {
      if (!isRecordTooLarge(err)) throw err;
      await this.deadLetter(logicalTopic, message, 'RETRY_COPY_TOO_LARGE', `the retry copy exceeds the retry topic's size limit; the handler failed with ${describe(error)}`);
      return 'dead-letter';
    }
    this.outcomes.inc({ topic: logicalTopic, destination: 'retry', reason: 'HANDLER_FAILED' });
    return 'retry';
  }

  async deadLetter(logicalTopic: string, message: KafkaMessage, reason: string, detail: string): Promise<void> {
    const failure = {
      [Headers.originalTopic]: logicalTopic,
      [Headers.failureReason]: reason,
      [Headers.failureDetail]: detail.slice(0, DETAIL_LIMIT),
      [Headers.failedBy]: this.consumerName,
      'x-failed-at': new Date().toISOString(),
    };
    const topic = this.topicPrefix + deadLetterTopicName(logicalTopic);
    try {
      await this.producer.send({ topic, acks: -1, messages: [{ key: message.key, value: message.value, headers: { ...plainHeaders(message.headers), ...failure } }] });
      this.outcomes.inc({ topic: logicalTopic, destination: 'dead-letter', reason });
      return;
    } catch (err) {
      if (!isRecordTooLarge(err)) throw err;
    }
    const summary = deadLetterSummary(logicalTopic, message, reason, detail);
    try {
      await this.producer.send({ topic, acks: -1, messages: [{ key: message.key, value: summary.value, headers: { ...summary.headers, ...failure } }] });
      this.outcomes.inc({ topic: logicalTopic, destination: 'dead-letter-summary', reason });
      this.log.warn({ topic: logicalTopic, reason, offset: message.offset, bytes: summary.originalBytes }, 'dead letter too large to copy: summary sent');
    } catch (err) {
      if (!isRecordTooLarge(err)) throw err;
      // Even the summary does not fit (a dead-letter topic limited to a few kilobytes): say so loudly, move on.
      this.outcomes.inc({ topic: logicalTopic, destination: 'dead-letter-lost', reason });
      this.log.error({ topic: logicalTopic, reason, detail, offset: message.offset, sha256: summary.originalSha256, err }, 'dead-letter topic refused even the summary; message skipped');
    }
  }
}

/** What a dead letter carries instead of a message too large to copy (see DeliveryPolicy). */
function deadLetterSummary(
  logicalTopic: string,
  message: KafkaMessage,
  reason: string,
  detail: string,
): { value: string; headers: Record<string, string>; originalBytes: number; originalSha256: string } {
  const value = message.value ?? Buffer.alloc(0);
  const original = plainHeaders(message.headers);
  const originalBytes = value.length;
  const originalSha256 = createHash('sha256').update(value).digest('hex');
  const headers: Record<string, string> = {};
  for (const name of SUMMARY_HEADERS) if (original[name] !== undefined) headers[name] = original[name].slice(0, HEADER_LIMIT);
  Object.assign(headers, {
    [DeadLetterHeaders.truncated]: 'true',
    [DeadLetterHeaders.originalBytes]: String(originalBytes),
    [DeadLetterHeaders.originalSha256]: originalSha256,
    [DeadLetterHeaders.originalOffset]: message.offset,
  });
  const body = {
    deadLetterSummary: {
      why: 'the message with its failure headers exceeds the dead-letter topic\'s max.message.bytes; the original stays in its topic for the topic\'s retention',
      originalTopic: logicalTopic,
      originalOffset: message.offset,
      originalBytes,
      originalSha256,
      failureReason: reason,
      failureDetail: detail.slice(0, DETAIL_LIMIT),
      droppedHeaders: Object.keys(original).filter((h) => !(SUMMARY_HEADERS as string[]).includes(h)).slice(0, 50),
      head: value.subarray(0, SUMMARY_HEAD_BYTES).toString('utf8'),
    },
  };
  return { value: JSON.stringify(body), headers, originalBytes, originalSha256 };
}

export function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  try {
    return JSON.stringify(error);
  } catch {
    return String(error);
  }
}
