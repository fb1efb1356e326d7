import type { ProducerIdentity, TrustedProducers } from './producer-identity';
import type { TopicDefinition } from '@jpki/contracts';

export interface Subscription {
  topic: TopicDefinition;
  /** Command topics dead-letter message types without a handler; event topics ignore them. */
  unknownTypes: 'dead-letter' | 'ignore';
  /** When set, only envelopes signed by one of these producers are handled; others are dead-lettered. */
  producers?: readonly string[];
}

export interface MessagingOptions {
  /** Service name: producer id in envelopes, inbox consumer name, consumer group base. */
  serviceName: string;
  brokers: string[];
  /** Environment prefix prepended to every logical topic name (e.g. "t1a2b." in tests). */
  topicPrefix: string;
  /** Consumer group; one per service, shared by its replicas. */
  consumerGroup: string;
  subscriptions: Subscription[];
  /** PostgreSQL URL and schema holding this service's outbox/inbox tables (for LISTEN/NOTIFY). */
  databaseUrl: string;
  schema: string;
  retry?: Partial<RetryPolicy>;
  /** Signs every published envelope. */
  identity?: ProducerIdentity;
  /** Public keys of the producers this service accepts messages from. */
  trustedProducers?: TrustedProducers;
  /** Consumer session timeout (default 30 s). */
  sessionTimeoutMs?: number;
  /** Partitions handled in parallel by one consumer (order is kept within a partition). */
  partitionsConsumedConcurrently?: number;
}

export interface RetryPolicy {
  maxAttempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 5, initialDelayMs: 500, maxDelayMs: 30_000 };

export const MESSAGING_OPTIONS = Symbol('MESSAGING_OPTIONS');
