import { topicAccess } from './routing';
import { allTopics, deadLetterTopicName, OBSERVER_IDENTITIES, PLATFORM_SERVICE_IDENTITIES, retryTopicName, type ServiceIdentity } from './topics';

/**
 * Who may do what on the broker, from the routing declaration (`topicAccess`): one Kafka principal per service
 * identity (its SCRAM user name), no rights beyond these. Tools and test harnesses use the admin principal locally; on a
 * deployment the operator tools use KAFKA_OPERATOR_PRINCIPAL.
 */
export const KAFKA_SERVICE_PRINCIPALS: readonly ServiceIdentity[] = [...PLATFORM_SERVICE_IDENTITIES, ...OBSERVER_IDENTITIES, 'probe'];

/** The super user: creates topics, sets ACLs, runs the DLQ tool, chaos runner and test harnesses. */
export const KAFKA_ADMIN_PRINCIPAL = 'jpki-admin';

/**
 * The operator tools on a deployment (`npm run dlq`, `npm run invariants`: libs/operations DeadLetterArchive and
 * checkPlatform), where nobody holds the admin principal. They read the dead-letter topics, redrive a dead letter to
 * the topic it failed on, and use their own consumer groups, nothing else (`operatorToolGrants`).
 */
export const KAFKA_OPERATOR_PRINCIPAL = 'jpki-ops';

/**
 * Start of the consumer groups the operator tools read dead letters through: DeadLetterArchive (libs/operations) reads
 * as reader `dlq-tool` in a private group `<prefix>dlq-tool.dlq.<uuid>`, then deletes it; checkPlatform lists dead
 * letters the same way.
 */
export const OPERATOR_TOOLS_GROUP = 'dlq-tool.dlq.';

export type KafkaPrincipal = ServiceIdentity | typeof KAFKA_OPERATOR_PRINCIPAL;

export interface KafkaGrant {
  readonly principal: KafkaPrincipal;
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
 * inbox group, per-instance clock groups). The operator tools' principal gets `operatorToolGrants`.
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
  return [...grants, ...groups, ...operatorToolGrants(prefix)];
}

/**
 * What the operator tools need (KAFKA_OPERATOR_PRINCIPAL), from the same declaration: READ on every dead-letter topic
 * (list, inspect; READ implies the DESCRIBE their offset look-ups need), WRITE on the topic each one belongs to (a
 * redrive re-publishes the original bytes to the topic the consumer failed on, never to `.retry`), READ and DELETE
 * on their private consumer groups (OPERATOR_TOOLS_GROUP). No topic without a dead-letter companion (the broadcast
 * clock), no retry topic, no other group, no topic deletion, no cluster right.
 */
export function operatorToolGrants(prefix: string): KafkaGrant[] {
  const principal = KAFKA_OPERATOR_PRINCIPAL;
  const topic = (name: string, operation: KafkaGrant['operation']): KafkaGrant => ({ principal, resource: 'topic', pattern: 'literal', name: prefix + name, operation });
  // The topics DeadLetterArchive lists (every declared topic with a dead-letter companion).
  const withDeadLetters = allTopics().filter((t) => t.withRetryAndDeadLetter);
  return [
    ...withDeadLetters.flatMap((t) => [topic(deadLetterTopicName(t.name), 'READ'), topic(t.name, 'WRITE')]),
    ...(['READ', 'DELETE'] as const).map((operation): KafkaGrant => ({ principal, resource: 'group', pattern: 'prefixed', name: prefix + OPERATOR_TOOLS_GROUP, operation })),
  ];
}
