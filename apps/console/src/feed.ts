import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Consumer, Kafka } from 'kafkajs';
import { CARRIERS, envelopeSchema, messageDefinition, Topics, type Carrier, type Envelope } from '@jpki/contracts';
import { checkCarrier, IDLE_FETCH_WAIT_MS, kafkaClient, TrustedProducers } from '@jpki/messaging';
import { createLogger } from '@jpki/observability';
import type { ConsoleConfig } from './config';
import type { FeedEvent } from './feed-event';

/** The event topics the console reads (it is declared among their consumers in libs/contracts). */
export const FEED_TOPICS = [Topics.lifecycleEvents.name, Topics.spTsmEvents.name, Topics.caEvents.name] as const;

export interface Figures {
  /** Completed enrollments per carrier (`iphone` for iPhone enrollments, bound to a device, not a SIM) per UTC hour. */
  enrollmentsPerHour: { hour: string; carrier: string; count: number }[];
  failuresByCause: { cause: string; carrier: string; count: number }[];
}

const SHOWN_FIELDS = ['caseId', 'kind', 'status', 'state', 'step', 'reason', 'cause', 'enrollmentId', 'msisdn', 'iccid', 'serial', 'personId', 'carrier', 'keyMode', 'method'];
const BACKLOG = 500;

/**
 * Reads the platform's event topics whole (a consumer group of its own per process, from the beginning, committing
 * nothing — the console keeps no state), checks each envelope the way the services' inboxes do (the type is declared
 * on that topic, its producer is one routed for it, the producer's signature verifies against TRUSTED_PRODUCER_KEYS,
 * a payload naming a carrier arrived on that carrier's topic, the payload parses), and keeps the recent ones and the
 * dashboard figures. Anything else is counted as refused and not shown.
 *
 * Carrier scope: an event names its carrier, or names an ICCID, serial, enrollment or person the SP-TSM's enrollment
 * events tied to one; an event the console cannot tie to one carrier is shown to platform staff only.
 */
export class EventFeed extends EventEmitter {
  private readonly log = createLogger('console-feed');
  private readonly kafka: Kafka;
  private readonly trusted: TrustedProducers;
  private readonly groupId: string;
  private consumer?: Consumer;
  private starting?: Promise<void>;
  private stopped = true;
  private readonly recent: FeedEvent[] = [];
  private readonly carrierOf = new Map<string, Carrier>();
  private readonly perHour = new Map<string, number>();
  private readonly failures = new Map<string, number>();
  refused = 0;
  received = 0;

  constructor(private readonly config: Pick<ConsoleConfig, 'KAFKA_BROKERS' | 'KAFKA_TOPIC_PREFIX' | 'TRUSTED_PRODUCER_KEYS'>) {
    super();
    this.setMaxListeners(1000);
    this.kafka = kafkaClient('console', config.KAFKA_BROKERS);
    // The console principal may use only the consumer groups named `<prefix>console…` (libs/contracts kafkaGrants).
    this.groupId = `${config.KAFKA_TOPIC_PREFIX}console.feed.${randomUUID()}`;
    this.trusted = TrustedProducers.parse(config.TRUSTED_PRODUCER_KEYS);
  }

  start(): void {
    this.stopped = false;
    this.starting = this.connect();
  }

  private async connect(): Promise<void> {
    for (let attempt = 1; !this.stopped; attempt++) {
      const consumer = this.kafka.consumer({ groupId: this.groupId, maxWaitTimeInMs: IDLE_FETCH_WAIT_MS });
      try {
        await consumer.connect();
        await consumer.subscribe({ topics: FEED_TOPICS.map((t) => this.config.KAFKA_TOPIC_PREFIX + t), fromBeginning: true });
        await consumer.run({
          autoCommit: false,
          eachMessage: async ({ topic, message }) => {
            this.accept(topic.slice(this.config.KAFKA_TOPIC_PREFIX.length), message.value?.toString('utf8'));
          },
        });
        this.consumer = consumer;
        this.log.info({ topics: FEED_TOPICS, prefix: this.config.KAFKA_TOPIC_PREFIX }, 'event feed reading');
        return;
      } catch (err) {
        await consumer.disconnect().catch(() => undefined);
        this.log.warn({ err, attempt }, 'event topics not available yet; retrying');
        for (let waited = 0; waited < Math.min(30_000, 1000 * attempt) && !this.stopped; waited += 250) await new Promise((r) => setTimeout(r, 250));
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.starting;
    if (!this.consumer) return;
    await this.consumer.disconnect();
    const admin = this.kafka.admin();
    await admin
      .connect()
      .then(() => admin.deleteGroups([this.groupId]))
      .catch((err: unknown) => this.log.warn({ err, groupId: this.groupId }, 'feed group not deleted'))
      .finally(() => admin.disconnect());
  }

  /** One record of `topic` (logical name): checked, then kept and announced; refused records are only counted. */
  accept(topic: string, value: string | undefined): FeedEvent | undefined {
    this.received++;
    let envelope: Envelope;
    try {
      envelope = envelopeSchema.parse(JSON.parse(value ?? '')) as Envelope;
    } catch {
      return this.refuse(topic, 'ENVELOPE_MALFORMED', 'not an envelope');
    }
    const definition = messageDefinition(envelope.type);
    if (!definition) return this.refuse(topic, 'UNKNOWN_MESSAGE_TYPE', envelope.type);
    const admitted = this.trusted.check(envelope, definition, topic);
    if (!admitted.ok) return this.refuse(topic, admitted.reason, admitted.detail);
    const carrierOk = checkCarrier(definition, topic, envelope.payload);
    if (!carrierOk.ok) return this.refuse(topic, carrierOk.reason, carrierOk.detail);
    const parsed = definition.schema.safeParse(envelope.payload);
    if (!parsed.success) return this.refuse(topic, 'PAYLOAD_INVALID', envelope.type);
    const payload = parsed.data as Record<string, unknown>;

    const carrier = this.learn(payload);
    const fields: Record<string, string> = {};
    for (const k of SHOWN_FIELDS) if (typeof payload[k] === 'string') fields[k] = payload[k] as string;
    const event: FeedEvent = { id: envelope.messageId, topic, type: envelope.type, producer: envelope.producer, occurredAt: envelope.occurredAt, carrier, fields };
    this.count(event);
    this.recent.push(event);
    if (this.recent.length > BACKLOG) this.recent.shift();
    this.emit('event', event);
    return event;
  }

  private refuse(topic: string, reason: string, detail: string): undefined {
    this.refused++;
    this.log.warn({ topic, reason, detail: detail.slice(0, 200) }, 'feed record refused');
    return undefined;
  }

  /** The event's carrier: named in it, or tied by an earlier enrollment event to an id it names. Remembers the ties. */
  private learn(p: Record<string, unknown>): Carrier | null {
    const ids = ['iccid', 'serial', 'enrollmentId', 'personId']
      .map((k) => (typeof p[k] === 'string' ? `${k}:${p[k] as string}` : undefined))
      .filter((x): x is string => !!x);
    const named = (CARRIERS as readonly unknown[]).includes(p['carrier']) ? (p['carrier'] as Carrier) : undefined;
    if (named) {
      for (const id of ids) this.carrierOf.set(id, named);
      return named;
    }
    // The most specific id first (a person may have phones with several carriers).
    for (const id of ids) {
      const known = this.carrierOf.get(id);
      if (known) return known;
    }
    return null;
  }

  private count(e: FeedEvent): void {
    const hour = `${e.occurredAt.slice(0, 13)}:00Z`;
    const bucket = e.carrier ?? 'iphone';
    if (e.type === 'sptsm.enrollment.completed' || e.type === 'sptsm.iphone-enrollment.completed') inc(this.perHour, `${hour}|${bucket}`);
    if (e.type === 'sptsm.enrollment.failed' || e.type === 'sptsm.iphone-enrollment.failed') inc(this.failures, `${e.fields['reason'] ?? 'unknown'}|${bucket}`);
  }

  /** Whether a user with this carrier scope (null: platform staff) may see the event. */
  static visible(e: FeedEvent, scope: Carrier | null): boolean {
    return scope === null || e.carrier === scope;
  }

  backlog(scope: Carrier | null, limit = 50): FeedEvent[] {
    return this.recent.filter((e) => EventFeed.visible(e, scope)).slice(-limit);
  }

  figures(scope: Carrier | null): Figures {
    const mine = (carrier: string) => scope === null || carrier === scope;
    const enrollmentsPerHour = [...this.perHour]
      .map(([k, count]) => ({ hour: k.split('|')[0], carrier: k.split('|')[1], count }))
      .filter((x) => mine(x.carrier))
      .sort((a, b) => a.hour.localeCompare(b.hour) || a.carrier.localeCompare(b.carrier));
    const failuresByCause = [...this.failures]
      .map(([k, count]) => ({ cause: k.split('|')[0], carrier: k.split('|')[1], count }))
      .filter((x) => mine(x.carrier))
      .sort((a, b) => b.count - a.count || a.cause.localeCompare(b.cause));
    return { enrollmentsPerHour, failuresByCause };
  }
}

function inc(m: Map<string, number>, k: string): void {
  m.set(k, (m.get(k) ?? 0) + 1);
}
