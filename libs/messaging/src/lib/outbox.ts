import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Headers, topicOf, type Envelope, type MessageDefinition, type PayloadInput, type PayloadOf } from '@jpki/contracts';
import { childTraceparent, currentContext, inSpan, kafkaSpanAttributes, SpanKind, traceparentOf } from '@jpki/observability';
import { MESSAGING_OPTIONS, type MessagingOptions } from './messaging-options';

export interface PublishOptions {
  correlationId?: string;
  causationId?: string;
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
    const valid = definition.schema.parse(payload) as PayloadOf<D>;
    const topic = topicOf(definition, valid).name;
    // The message's creation span: its context travels as the traceparent, and the consumer's process span continues it.
    return inSpan(`create ${topic}`, { kind: SpanKind.PRODUCER, attributes: kafkaSpanAttributes('create', topic, definition.type) }, async (span) => {
      const ctx = currentContext();
      const envelope: Envelope<PayloadOf<D>> = {
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
        [Headers.traceparent]: traceparentOf() ?? childTraceparent(ctx?.traceparent),
        [Headers.producer]: envelope.producer,
      };
      if (envelope.causationId) headers[Headers.causationId] = envelope.causationId;
      await manager.query(
        `INSERT INTO outbox (message_id, topic, message_key, message_type, headers, body) VALUES ($1, $2, $3, $4, $5, $6)`,
        [envelope.messageId, topic, definition.key(valid), envelope.type, headers, JSON.stringify(envelope)],
      );
      return envelope;
    });
  }
}
