import type { ProducerIdentity, TrustedProducers } from './producer-identity';
import { allTopics, type ServiceIdentity, type TopicDefinition } from '@jpki/contracts';

/**
 * A topic this service reads through its inbox. Who may send what on it is not configured here: the inbox checks
 * every envelope against the routes declared with its message type (libs/contracts).
 */
export interface Subscription {
  topic: TopicDefinition;
  /** Command topics dead-letter message types without a handler; event topics ignore them. */
  unknownTypes: 'dead-letter' | 'ignore';
}

/** The inbox subscriptions of a service: the topics that declare it as a consumer (broadcast topics have their own readers). */
export function subscriptionsOf(service: ServiceIdentity): Subscription[] {
  return allTopics()
    .filter((topic) => topic.role !== 'broadcast' && topic.consumers.includes(service))
    .map((topic) => ({ topic, unknownTypes: topic.role === 'commands' ? 'dead-letter' : 'ignore' }));
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
  /** Public keys of the producers this service accepts messages from (what each may send: the declared routes). */
  trustedProducers?: TrustedProducers;
  /** Consumer session timeout (default 30 s). */
  sessionTimeoutMs?: number;
  /** Partitions handled in parallel by one consumer (order is kept within a partition). */
  partitionsConsumedConcurrently?: number;
  /** Inbox rows older than this are deleted (default 35 days; at least the longest redelivery window: inbox-pruner.ts). */
  inboxRetentionMs?: number;
  /** How often the inbox is pruned (default hourly). */
  inboxPruneIntervalMs?: number;
}

export interface RetryPolicy {
  maxAttempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 5, initialDelayMs: 500, maxDelayMs: 30_000 };

export const MESSAGING_OPTIONS = Symbol('MESSAGING_OPTIONS');
