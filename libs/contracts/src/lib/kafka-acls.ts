import { topicAccess } from './routing';
import { deadLetterTopicName, OBSERVER_IDENTITIES, PLATFORM_SERVICE_IDENTITIES, retryTopicName, type ServiceIdentity } from './topics';

/**
 * Who may do what on the broker, from the routing declaration (`topicAccess`): one Kafka principal per service
 * identity (its SCRAM user name), no rights beyond these. Tools and test harnesses use the admin principal.
 */
export const KAFKA_SERVICE_PRINCIPALS: readonly ServiceIdentity[] = [...PLATFORM_SERVICE_IDENTITIES, ...OBSERVER_IDENTITIES, 'probe'];

/** The super user: creates topics, sets ACLs, runs the DLQ tool, chaos runner and test harnesses. */
export const KAFKA_ADMIN_PRINCIPAL = 'jpki-admin';

export interface KafkaGrant {
  readonly principal: ServiceIdentity;
  readonly resource: 'topic' | 'group';
  /** `prefixed`: every name starting with `name`. */
  readonly pattern: 'literal' | 'prefixed';
  readonly name: string;
  readonly operation: 'READ' | 'WRITE' | 'DELETE';
}

const isObserver = (s: ServiceIdentity) => (OBSERVER_IDENTITIES as readonly string[]).includes(s);

/**
 * The ACLs of one environment (`prefix`: its topic prefix, also the start of its consumer groups). Producers write a
 * topic; consumers read it; an inbox consumer also reads and writes the `.retry` companion and writes the `.dlq`
 * (failing messages go there). Observers read their topics whole and every dead-letter topic (the console counts
 * dead letters). Each principal reads and deletes the consumer groups named after it (`<prefix><identity>…`: its
 * inbox group, per-instance clock groups).
 */
export function kafkaGrants(prefix: string): KafkaGrant[] {
  const topic = (principal: ServiceIdentity, name: string, operation: KafkaGrant['operation']): KafkaGrant => ({ principal, resource: 'topic', pattern: 'literal', name: prefix + name, operation });
  const grants = topicAccess().flatMap((t) => {
    const companions = t.role !== 'broadcast';
    return [
      ...t.producers.map((p) => topic(p, t.topic, 'WRITE')),
      ...t.consumers.flatMap((c) => [
        topic(c, t.topic, 'READ'),
        ...(companions && !isObserver(c) ? [topic(c, retryTopicName(t.topic), 'READ'), topic(c, retryTopicName(t.topic), 'WRITE'), topic(c, deadLetterTopicName(t.topic), 'WRITE')] : []),
      ]),
      ...(companions ? OBSERVER_IDENTITIES.map((o) => topic(o, deadLetterTopicName(t.topic), 'READ')) : []),
    ];
  });
  const groups = KAFKA_SERVICE_PRINCIPALS.flatMap((principal) =>
    (['READ', 'DELETE'] as const).map((operation): KafkaGrant => ({ principal, resource: 'group', pattern: 'prefixed', name: prefix + principal, operation })),
  );
  return [...grants, ...groups];
}
