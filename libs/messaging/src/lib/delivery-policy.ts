import type { IHeaders, KafkaMessage, Producer } from 'kafkajs';
import { Headers, deadLetterTopicName, retryTopicName } from '@jpki/contracts';
import { counter } from '@jpki/observability';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './messaging-options';

const DETAIL_LIMIT = 2000;

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
 */
export class DeliveryPolicy {
  private readonly policy: RetryPolicy;
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
  ) {
    this.policy = { ...DEFAULT_RETRY_POLICY, ...policy };
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
    const headers = {
      ...plainHeaders(message.headers),
      [Headers.attempt]: String(attempt + 1),
      [Headers.retryAt]: String(Date.now() + this.delayFor(attempt)),
      [Headers.originalTopic]: logicalTopic,
      [Headers.failureDetail]: describe(error).slice(0, DETAIL_LIMIT),
    };
    await this.producer.send({
      topic: this.topicPrefix + retryTopicName(logicalTopic),
      acks: -1,
      messages: [{ key: message.key, value: message.value, headers }],
    });
    this.outcomes.inc({ topic: logicalTopic, destination: 'retry', reason: 'HANDLER_FAILED' });
    return 'retry';
  }

  async deadLetter(logicalTopic: string, message: KafkaMessage, reason: string, detail: string): Promise<void> {
    const headers = {
      ...plainHeaders(message.headers),
      [Headers.originalTopic]: logicalTopic,
      [Headers.failureReason]: reason,
      [Headers.failureDetail]: detail.slice(0, DETAIL_LIMIT),
      [Headers.failedBy]: this.consumerName,
      'x-failed-at': new Date().toISOString(),
    };
    await this.producer.send({
      topic: this.topicPrefix + deadLetterTopicName(logicalTopic),
      acks: -1,
      messages: [{ key: message.key, value: message.value, headers }],
    });
    this.outcomes.inc({ topic: logicalTopic, destination: 'dead-letter', reason });
  }
}

export function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  try {
    return JSON.stringify(error);
  } catch {
    return String(error);
  }
}
