import { z } from 'zod/v4';
import type { TopicDefinition } from './topics';

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

export interface MessageDefinition<S extends z.ZodType = z.ZodType> {
  readonly type: string;
  readonly schemaVersion: number;
  /** A fixed topic, or one chosen from the payload (per-carrier topics). */
  readonly topic: TopicDefinition | ((payload: z.infer<S>) => TopicDefinition);
  readonly schema: S;
  /** The Kafka key: the aggregate the message belongs to, so one saga stays on one partition. */
  readonly key: (payload: z.infer<S>) => string;
}

/** A payload as consumers see it (defaults applied). */
export type PayloadOf<D> = D extends MessageDefinition<infer S> ? z.infer<S> : never;
/** A payload as a producer may write it (fields with defaults may be left out). */
export type PayloadInput<D> = D extends MessageDefinition<infer S> ? z.input<S> : never;

const registry = new Map<string, MessageDefinition>();

export function defineMessage<S extends z.ZodType>(def: MessageDefinition<S>): MessageDefinition<S> {
  if (registry.has(def.type)) throw new Error(`message type ${def.type} defined twice`);
  registry.set(def.type, def as unknown as MessageDefinition);
  return def;
}

export function messageDefinition(type: string): MessageDefinition | undefined {
  return registry.get(type);
}

export function registeredMessageTypes(): string[] {
  return [...registry.keys()].sort();
}

export function topicOf<S extends z.ZodType>(def: MessageDefinition<S>, payload: z.infer<S>): TopicDefinition {
  return typeof def.topic === 'function' ? def.topic(payload) : def.topic;
}
