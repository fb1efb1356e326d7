import { registeredMessageTypes, messageDefinition } from './envelope';
import { allTopics, type Carrier, type ServiceIdentity, type TopicRole } from './topics';

// The message modules register their definitions when imported; the listing covers all of them.
import './probe';
import './clock';
import './ca';
import './mno';
import './ota';
import './sptsm';
import './lifecycle';

export interface TopicAccess {
  /** Logical topic name (without the environment prefix). */
  readonly topic: string;
  readonly role: TopicRole;
  readonly carrier?: Carrier;
  /** Who may write to it: every producer of a message type routed to it. */
  readonly producers: readonly ServiceIdentity[];
  /** Who reads it (declared with the topic; the services' subscriptions are derived from it). */
  readonly consumers: readonly ServiceIdentity[];
  /** Per message type routed to it, who may emit that type there (what each consumer's inbox enforces). */
  readonly messages: readonly { readonly type: string; readonly producers: readonly ServiceIdentity[] }[];
}

/**
 * The platform's routing as data, from the one declaration (topics with their consumers, message types with their
 * routes): per topic, who may produce which message type and who consumes it. Kafka ACLs follow from it: producers
 * write the topic; consumers read it and its `.retry` companion and write `.retry` and `.dlq` (their inbox redirects
 * failing messages there); broadcast topics have no companions.
 */
export function topicAccess(): TopicAccess[] {
  const routed = registeredMessageTypes().flatMap((type) => (messageDefinition(type)?.routes ?? []).map((r) => ({ type, topic: r.topic.name, producers: r.producers })));
  return allTopics().map((t) => {
    const messages = routed.filter((r) => r.topic === t.name).map(({ type, producers }) => ({ type, producers: [...producers].sort() }));
    return {
      topic: t.name,
      role: t.role,
      ...(t.carrier ? { carrier: t.carrier } : {}),
      producers: [...new Set(messages.flatMap((m) => m.producers))].sort(),
      consumers: [...t.consumers].sort(),
      messages,
    };
  });
}
