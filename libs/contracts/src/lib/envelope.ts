import { z } from 'zod/v4';
import { CARRIERS, type Carrier, type ServiceIdentity, type TopicDefinition } from './topics';

/** Kafka header names carried by every message. */
export const Headers = {
  messageId: 'message-id',
  messageType: 'message-type',
  schemaVersion: 'schema-version',
  correlationId: 'correlation-id',
  causationId: 'causation-id',
  traceparent: 'traceparent',
  producer: 'producer',
  attempt: 'x-attempt',
  retryAt: 'x-retry-at',
  /** The consumer's own signature over the retry headers: only it schedules its retries. */
  retryStamp: 'x-retry-stamp',
  originalTopic: 'x-original-topic',
  failureReason: 'x-failure-reason',
  failureDetail: 'x-failure-detail',
  failedBy: 'x-failed-by',
} as const;

/** The JSON body of every message. Metadata is repeated in headers for routing and tracing. */
export const envelopeSchema = z.object({
  messageId: z.uuid(),
  type: z.string().min(1).max(128),
  schemaVersion: z.number().int().positive(),
  correlationId: z.string().min(1).max(128),
  causationId: z.string().max(128).nullable(),
  occurredAt: z.iso.datetime(),
  producer: z.string().min(1).max(64),
  payload: z.unknown(),
  /** Ed25519 signature of the producer over the other fields (services authenticate each other). */
  signature: z.string().max(200).optional(),
});
export type Envelope<P = unknown> = Omit<z.infer<typeof envelopeSchema>, 'payload'> & { payload: P };

/** A topic a message may travel on, and the services that may emit it there (they sign it; consumers' inboxes check). */
export interface MessageRoute {
  readonly topic: TopicDefinition;
  readonly producers: readonly ServiceIdentity[];
}

export interface MessageDefinition<S extends z.ZodType = z.ZodType> {
  readonly type: string;
  readonly schemaVersion: number;
  /**
   * Where the message may travel and who may emit it there, declared once: one route, or one per carrier (the
   * payload's `carrier` picks the route). A message on any other topic, or from any other producer, is refused.
   */
  readonly routes: readonly MessageRoute[];
  readonly schema: S;
  /** The Kafka key: the aggregate the message belongs to, so one saga stays on one partition. */
  readonly key: (payload: z.infer<S>) => string;
}

/** The message travels on `topic`, emitted by `producers`. */
export function route(topic: TopicDefinition, producers: readonly ServiceIdentity[]): { routes: readonly MessageRoute[] } {
  return { routes: [{ topic, producers }] };
}

/** One route per carrier (the payload's `carrier` picks it); the producers may depend on the carrier. */
export function perCarrierRoutes(
  topics: Readonly<Record<Carrier, TopicDefinition>>,
  producers: (carrier: Carrier) => readonly ServiceIdentity[],
): { routes: readonly MessageRoute[] } {
  return { routes: CARRIERS.map((c) => ({ topic: topics[c], producers: producers(c) })) };
}

/** The per-carrier routes of a TSM operation plus its embedded-SE route (a payload naming a `seid` travels there). */
export function perSecureElementRoutes(
  topics: Readonly<Record<Carrier, TopicDefinition>>,
  eseTopic: TopicDefinition,
  producers: (issuer: Carrier | 'ese') => readonly ServiceIdentity[],
): { routes: readonly MessageRoute[] } {
  return { routes: [...perCarrierRoutes(topics, producers).routes, { topic: eseTopic, producers: producers('ese') }] };
}

/** A payload as consumers see it (defaults applied). */
export type PayloadOf<D> = D extends MessageDefinition<infer S> ? z.infer<S> : never;
/** A payload as a producer may write it (fields with defaults may be left out). */
export type PayloadInput<D> = D extends MessageDefinition<infer S> ? z.input<S> : never;

const registry = new Map<string, MessageDefinition>();

export function defineMessage<S extends z.ZodType>(def: MessageDefinition<S>): MessageDefinition<S> {
  if (registry.has(def.type)) throw new Error(`message type ${def.type} defined twice`);
  if (def.routes.length === 0) throw new Error(`message type ${def.type} has no route`);
  const perCarrier = def.routes.filter((r) => r.topic.carrier);
  const embeddedSe = def.routes.filter((r) => r.topic.embeddedSe);
  if (perCarrier.length > 0 && (perCarrier.length + embeddedSe.length !== def.routes.length || new Set(perCarrier.map((r) => r.topic.carrier)).size !== CARRIERS.length)) {
    throw new Error(`message type ${def.type}: per-carrier routes must name each carrier's topic once`);
  }
  if (embeddedSe.length > 1) throw new Error(`message type ${def.type}: more than one embedded-SE route`);
  if (perCarrier.length === 0 && def.routes.length !== 1) throw new Error(`message type ${def.type}: more than one route without a carrier to choose`);
  registry.set(def.type, def as unknown as MessageDefinition);
  return def;
}

export function messageDefinition(type: string): MessageDefinition | undefined {
  return registry.get(type);
}

export function registeredMessageTypes(): string[] {
  return [...registry.keys()].sort();
}

/**
 * The topic a message is published on: its only route's; for per-carrier routes the one of the payload's `carrier`, or
 * the embedded-SE route for a payload that names a `seid` and no carrier.
 */
export function topicOf<S extends z.ZodType>(def: MessageDefinition<S>, payload: z.infer<S>): TopicDefinition {
  if (def.routes.length === 1 && !def.routes[0].topic.carrier) return def.routes[0].topic;
  const { carrier, seid } = (payload as { carrier?: unknown; seid?: unknown } | null) ?? {};
  const found = carrier === undefined && seid !== undefined ? def.routes.find((r) => r.topic.embeddedSe) : def.routes.find((r) => r.topic.carrier === carrier);
  if (!found) throw new Error(`${def.type} travels on per-carrier topics; the payload names no known carrier (${String(carrier)})`);
  return found.topic;
}

/** The route of a message type on one topic (logical name), if it may travel there. */
export function routeOn(def: MessageDefinition, topicName: string): MessageRoute | undefined {
  return def.routes.find((r) => r.topic.name === topicName);
}
