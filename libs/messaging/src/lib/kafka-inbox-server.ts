import { Catch, type ArgumentsHost, type RpcExceptionFilter } from '@nestjs/common';
import { Server, type CustomTransportStrategy } from '@nestjs/microservices';
import type { Consumer, EachMessagePayload, KafkaMessage } from 'kafkajs';
import { lastValueFrom, throwError, type Observable } from 'rxjs';
import type { DataSource } from 'typeorm';
import {
  Headers,
  envelopeSchema,
  messageDefinition,
  retryTopicName,
  type Envelope,
  type MessageDefinition,
} from '@jpki/contracts';
import {
  contextOfTraceparent,
  counter,
  createLogger,
  histogram,
  inSpan,
  kafkaSpanAttributes,
  markFailed,
  newWorkContext,
  runInContext,
  SpanKind,
  type Span,
} from '@jpki/observability';
import type { ConsumerStatus } from './consumer-status';
import { DeliveryPolicy, describe, headerString } from './delivery-policy';
import { NonRetriableError } from './errors';
import { isInfrastructureFailure } from './infrastructure-failure';
import { IDLE_FETCH_WAIT_MS, type KafkaConnection } from './kafka-connection';
import { MessageContext } from './message-context';
import type { Subscription } from './messaging-options';
import type { Outbox } from './outbox';
import { checkCarrier } from './producer-identity';

/** Nest wraps handler errors into `{status:'error'}`; the server needs the original cause for the DLQ. */
@Catch()
export class RethrowRpcErrorsFilter implements RpcExceptionFilter {
  catch(exception: unknown, _host: ArgumentsHost): Observable<never> {
    return throwError(() => exception);
  }
}

class Rejected extends Error {
  constructor(
    readonly reason: string,
    detail: string,
  ) {
    super(detail);
  }
}

interface Route {
  subscription: Subscription;
  viaRetry: boolean;
}

export interface KafkaInboxServerDeps {
  kafka: KafkaConnection;
  dataSource: DataSource;
  outbox: Outbox;
  status: ConsumerStatus;
}

/**
 * NestJS transport strategy over kafkajs with the inbox pattern: handlers registered with
 * `@EventPattern(<message type>)` run inside a database transaction that first records
 * (consumer, messageId); a redelivered message finds its row and is acknowledged without effect.
 * Invalid messages go to the dead-letter topic at once; failing handlers go through the retry topic.
 */
export class KafkaInboxServer extends Server implements CustomTransportStrategy {
  private readonly log;
  private readonly routes = new Map<string, Route>();
  private readonly consumers: Consumer[] = [];
  private readonly delivery: DeliveryPolicy;
  private readonly consumed = counter('messages_consumed_total', 'Messages consumed', ['topic', 'type', 'outcome']);
  private readonly infrastructureWaits = counter('messages_waiting_for_database_total', 'Handler runs that found the database unavailable and waited', ['topic']);
  private closing = false;
  private readonly duration = histogram('message_handling_seconds', 'Handler duration including the transaction', ['type']);

  constructor(private readonly deps: KafkaInboxServerDeps) {
    super();
    const o = deps.kafka.options;
    this.log = createLogger(`${o.serviceName}.consumer`);
    this.delivery = new DeliveryPolicy(deps.kafka.producer, o.topicPrefix, o.serviceName, o.retry, o.identity);
    for (const subscription of o.subscriptions) {
      this.routes.set(deps.kafka.physical(subscription.topic.name), { subscription, viaRetry: false });
      this.routes.set(deps.kafka.physical(retryTopicName(subscription.topic.name)), { subscription, viaRetry: true });
    }
  }

  async listen(callback: (err?: unknown) => void): Promise<void> {
    try {
      const topics = [...this.routes.entries()];
      await this.startConsumer('main', topics.filter(([, r]) => !r.viaRetry).map(([t]) => t));
      await this.startConsumer('retry', topics.filter(([, r]) => r.viaRetry).map(([t]) => t));
      callback();
    } catch (err) {
      callback(err);
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    // Disconnecting waits for in-flight handlers, then leaves the group so partitions move fast.
    await Promise.all(this.consumers.map((c) => c.disconnect()));
    this.consumers.length = 0;
  }

  on(): void {
    throw new Error('KafkaInboxServer does not expose transport events; see ConsumerStatus');
  }

  unwrap<T>(): T {
    return this.consumers as T;
  }

  private async startConsumer(kind: 'main' | 'retry', topics: string[]): Promise<void> {
    if (topics.length === 0) return;
    const o = this.deps.kafka.options;
    const name = `${o.consumerGroup}${kind === 'retry' ? '.retry' : ''}`;
    const consumer = this.deps.kafka.kafka.consumer({
      groupId: name,
      allowAutoTopicCreation: false,
      sessionTimeout: o.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: Math.max(500, Math.floor((o.sessionTimeoutMs ?? 30_000) / 10)),
      maxWaitTimeInMs: IDLE_FETCH_WAIT_MS,
    });
    this.deps.status.set(name, 'starting');
    consumer.on(consumer.events.CRASH, (e) => this.deps.status.set(name, 'crashed', String(e.payload.error)));
    consumer.on(consumer.events.GROUP_JOIN, () => this.deps.status.set(name, 'running'));
    consumer.on(consumer.events.STOP, () => this.deps.status.set(name, 'stopped'));
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning: true });
    await consumer.run({
      partitionsConsumedConcurrently: o.partitionsConsumedConcurrently ?? 3,
      eachMessage: (payload) => this.onMessage(payload),
    });
    this.consumers.push(consumer);
  }

  /** One process span per delivery, continuing the trace of the span that created the message (its traceparent). */
  private async onMessage({ topic, partition, message, heartbeat }: EachMessagePayload): Promise<void> {
    const route = this.routes.get(topic);
    if (!route) return;
    const logical = route.subscription.topic.name;
    const messageId = headerString(message.headers, Headers.messageId);
    const spec = {
      kind: SpanKind.CONSUMER,
      parent: contextOfTraceparent(headerString(message.headers, Headers.traceparent)),
      attributes: kafkaSpanAttributes('process', logical, headerString(message.headers, Headers.messageType) ?? 'unknown', {
        'messaging.message.id': messageId ?? '',
        'messaging.consumer.group.name': this.deps.kafka.options.consumerGroup,
        'messaging.destination.partition.id': String(partition),
        'messaging.kafka.offset': Number(message.offset),
        'jpki.delivery': route.viaRetry ? 'retry' : 'main',
      }),
    };
    await inSpan(`process ${logical}`, spec, (span) => {
      const ctx = newWorkContext({
        correlationId: headerString(message.headers, Headers.correlationId),
        causationId: headerString(message.headers, Headers.causationId),
        messageId,
        traceparent: headerString(message.headers, Headers.traceparent),
      });
      return runInContext(ctx, () => this.deliver(span, route, logical, partition, message, heartbeat));
    });
  }

  private async deliver(span: Span, route: Route, logical: string, partition: number, message: KafkaMessage, heartbeat: () => Promise<void>): Promise<void> {
    let type = 'unknown';
    try {
      const { envelope, definition } = this.decode(message, route);
      if (!definition) return this.outcome(span, { topic: logical, type: envelope.type, outcome: 'ignored' });
      type = envelope.type;
      if (route.viaRetry) {
        const refusal = this.delivery.retryRefusal(logical, message);
        if (refusal) throw new Rejected('RETRY_HEADERS_INVALID', refusal);
        await this.waitUntilDue(message, heartbeat);
      }
      const outcome = await this.handleOnceTheDatabaseIsUp(envelope, definition, logical, partition, message, heartbeat);
      this.outcome(span, { topic: logical, type, outcome });
    } catch (err) {
      // Stopping during an outage: leave the offset uncommitted, the next owner of the partition handles the message.
      if (this.closing && isInfrastructureFailure(err)) throw err;
      markFailed(span, err, err instanceof Rejected ? err.reason : undefined);
      await this.redirect(span, logical, message, type, err);
    }
  }

  private outcome(span: Span, labels: { topic: string; type: string; outcome: string }): void {
    span.setAttribute('jpki.outcome', labels.outcome);
    this.consumed.inc(labels);
  }

  private decode(message: KafkaMessage, route: Route): { envelope: Envelope; definition?: MessageDefinition } {
    let json: unknown;
    try {
      json = JSON.parse(message.value?.toString('utf8') ?? '');
    } catch (err) {
      throw new Rejected('MALFORMED_JSON', describe(err));
    }
    const parsed = envelopeSchema.safeParse(json);
    if (!parsed.success) throw new Rejected('ENVELOPE_INVALID', parsed.error.message);
    const envelope = parsed.data as Envelope;
    const definition = messageDefinition(envelope.type);
    if (!definition || !this.getHandlerByPattern(envelope.type)) {
      if (route.subscription.unknownTypes === 'ignore') return { envelope };
      throw new Rejected('UNKNOWN_MESSAGE_TYPE', `no handler for ${envelope.type} in ${this.deps.kafka.options.serviceName}`);
    }
    if (envelope.schemaVersion !== definition.schemaVersion) {
      throw new Rejected(
        'UNSUPPORTED_SCHEMA_VERSION',
        `${envelope.type} v${envelope.schemaVersion}, this consumer understands v${definition.schemaVersion}`,
      );
    }
    // The routing declared with the message type decides: its topic, its producer (signed), its carrier.
    const topic = route.subscription.topic.name;
    const trusted = this.deps.kafka.options.trustedProducers;
    const admitted = trusted ? trusted.check(envelope, definition, topic) : null;
    if (!admitted) throw new Rejected('PRODUCER_NOT_AUTHORIZED', 'no trusted producer keys configured');
    if (!admitted.ok) throw new Rejected(admitted.reason, admitted.detail);
    const payload = definition.schema.safeParse(envelope.payload);
    if (!payload.success) throw new Rejected('PAYLOAD_INVALID', payload.error.message);
    const carrier = checkCarrier(definition, topic, payload.data);
    if (!carrier.ok) throw new Rejected(carrier.reason, carrier.detail);
    return { envelope: { ...envelope, payload: payload.data }, definition };
  }

  /**
   * An unavailable database is not the message's fault: the partition holds this message (heartbeating, with backoff
   * up to 30 s) until the database answers again, however long that takes, instead of spending its retries and
   * dead-lettering it. Only failures of the message itself go through the retry topic.
   */
  private async handleOnceTheDatabaseIsUp(
    envelope: Envelope,
    definition: MessageDefinition,
    topic: string,
    partition: number,
    message: KafkaMessage,
    heartbeat: () => Promise<void>,
  ): Promise<'processed' | 'duplicate'> {
    for (let wait = 1; ; wait++) {
      try {
        return await this.handle(envelope, definition, topic, partition, message);
      } catch (err) {
        if (!isInfrastructureFailure(err) || this.closing) throw err;
        const delayMs = Math.min(30_000, 250 * 2 ** Math.min(wait, 7));
        if (wait === 1 || wait % 10 === 0) this.log.warn({ topic, partition, err: describe(err), wait, delayMs }, 'database unavailable: holding the partition until it answers');
        this.infrastructureWaits.inc({ topic });
        for (const until = Date.now() + delayMs; Date.now() < until && !this.closing; ) {
          await new Promise((r) => setTimeout(r, Math.min(1000, until - Date.now())));
          await heartbeat();
        }
      }
    }
  }

  private async handle(
    envelope: Envelope,
    definition: MessageDefinition,
    topic: string,
    partition: number,
    message: KafkaMessage,
  ): Promise<'processed' | 'duplicate'> {
    const handler = this.getHandlerByPattern(definition.type);
    if (!handler) throw new Rejected('UNKNOWN_MESSAGE_TYPE', definition.type);
    const consumerName = this.deps.kafka.options.serviceName;
    const stop = this.duration.startTimer({ type: definition.type });
    try {
      return await this.deps.dataSource.transaction(async (manager) => {
        const inserted: unknown[] = await manager.query(
          `INSERT INTO inbox (consumer, message_id, message_type) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING 1`,
          [consumerName, envelope.messageId, envelope.type],
        );
        if (inserted.length === 0) return 'duplicate';
        const context = new MessageContext(envelope, manager, topic, partition, this.delivery.attemptOf(message), this.deps.outbox);
        const result = await handler(envelope.payload, context);
        await lastValueFrom(this.transformToObservable(result), { defaultValue: undefined });
        return 'processed';
      });
    } finally {
      stop();
    }
  }

  private async redirect(span: Span, topic: string, message: KafkaMessage, type: string, err: unknown): Promise<void> {
    if (err instanceof Rejected || err instanceof NonRetriableError) {
      const reason = err instanceof Rejected ? err.reason : err.reason;
      this.log.warn({ topic, type, reason, detail: err.message }, 'message dead-lettered');
      await this.delivery.deadLetter(topic, message, reason, err.message);
      this.outcome(span, { topic, type, outcome: 'dead-lettered' });
      return;
    }
    const destination = await this.delivery.retryOrDeadLetter(topic, message, err);
    this.log.warn({ topic, type, destination, err: describe(err) }, 'message handler failed');
    this.outcome(span, { topic, type, outcome: destination === 'retry' ? 'retried' : 'dead-lettered' });
  }

  private async waitUntilDue(message: KafkaMessage, heartbeat: () => Promise<void>): Promise<void> {
    const due = Number(headerString(message.headers, Headers.retryAt) ?? 0);
    while (Date.now() < due) {
      await new Promise((r) => setTimeout(r, Math.min(1000, due - Date.now())));
      await heartbeat();
    }
  }
}
