import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Headers, topicOf, type Envelope, type MessageDefinition, type PayloadInput, type PayloadOf } from '@jpki/contracts';
import { childTraceparent, currentContext, kafkaSpanAttributes, markFailed, SpanKind, startSpan, traceparentOfSpan } from '@jpki/observability';
import { MESSAGING_OPTIONS, type MessagingOptions } from './messaging-options';

export interface PublishOptions {
  correlationId?: string;
  causationId?: string;
}

/** One message for `Outbox.publishAll`; `outboxMessage` types the payload by its definition. */
export interface OutboxMessage<D extends MessageDefinition = MessageDefinition> {
  readonly definition: D;
  readonly payload: PayloadInput<D>;
}

export function outboxMessage<D extends MessageDefinition>(definition: D, payload: PayloadInput<D>): OutboxMessage<D> {
  return { definition, payload };
}

/**
 * Publishing = inserting into the outbox inside the caller's transaction, so the message exists
 * if and only if the state change committed. The relay delivers it to Kafka afterwards.
 */
@Injectable()
export class Outbox {
  constructor(@Inject(MESSAGING_OPTIONS) private readonly options: MessagingOptions) {}

  async publish<D extends MessageDefinition>(
    manager: EntityManager,
    definition: D,
    payload: PayloadInput<D>,
    opts: PublishOptions = {},
  ): Promise<Envelope<PayloadOf<D>>> {
    const [envelope] = await this.publishAll(manager, [outboxMessage(definition, payload)], opts);
    return envelope as Envelope<PayloadOf<D>>;
  }

  /**
   * Several messages with one INSERT (one database round trip), relayed in this order. Each gets its creation span:
   * its context travels as the message's traceparent, and the consumer's process span continues it.
   */
  async publishAll(manager: EntityManager, messages: readonly OutboxMessage[], opts: PublishOptions = {}): Promise<Envelope[]> {
    if (messages.length === 0) return [];
    const ctx = currentContext();
    const rows = messages.map(({ definition, payload }) => {
      const valid = definition.schema.parse(payload) as PayloadOf<typeof definition>;
      const topic = topicOf(definition, valid).name;
      const span = startSpan(`create ${topic}`, { kind: SpanKind.PRODUCER, attributes: kafkaSpanAttributes('create', topic, definition.type) });
      const envelope: Envelope = {
        messageId: randomUUID(),
        type: definition.type,
        schemaVersion: definition.schemaVersion,
        correlationId: opts.correlationId ?? ctx?.correlationId ?? randomUUID(),
        causationId: opts.causationId ?? ctx?.messageId ?? null,
        occurredAt: new Date().toISOString(),
        producer: this.options.serviceName,
        payload: valid,
      };
      span.setAttribute('messaging.message.id', envelope.messageId);
      if (this.options.identity) envelope.signature = this.options.identity.sign(envelope);
      const headers: Record<string, string> = {
        [Headers.messageId]: envelope.messageId,
        [Headers.messageType]: envelope.type,
        [Headers.schemaVersion]: String(envelope.schemaVersion),
        [Headers.correlationId]: envelope.correlationId,
        [Headers.traceparent]: traceparentOfSpan(span) ?? childTraceparent(ctx?.traceparent),
        [Headers.producer]: envelope.producer,
      };
      if (envelope.causationId) headers[Headers.causationId] = envelope.causationId;
      return { envelope, span, values: [envelope.messageId, topic, definition.key(valid), envelope.type, headers, JSON.stringify(envelope)] };
    });
    try {
      await manager.query(
        `INSERT INTO outbox (message_id, topic, message_key, message_type, headers, body) VALUES ${rows.map((_, i) => `($${i * 6 + 1}, $${i * 6 + 2}, $${i * 6 + 3}, $${i * 6 + 4}, $${i * 6 + 5}, $${i * 6 + 6})`).join(', ')}`,
        rows.flatMap((r) => r.values),
      );
    } catch (err) {
      rows.forEach((r) => markFailed(r.span, err));
      throw err;
    } finally {
      rows.forEach((r) => r.span.end());
    }
    return rows.map((r) => r.envelope);
  }
}
