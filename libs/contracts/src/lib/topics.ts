/**
 * Every Kafka topic of the platform, declared once. The bootstrap step creates each topic with its
 * retry and dead-letter companions; brokers never auto-create topics.
 */
export const CARRIERS = ['docomo', 'kddi', 'softbank'] as const;
export type Carrier = (typeof CARRIERS)[number];

export interface TopicDefinition {
  /** Logical name, without the environment prefix. */
  readonly name: string;
  readonly partitions: number;
  /** Whether `<name>.retry` and `<name>.dlq` exist. */
  readonly withRetryAndDeadLetter: boolean;
  readonly description: string;
}

const topic = (name: string, partitions: number, description: string): TopicDefinition => ({
  name,
  partitions,
  withRetryAndDeadLetter: true,
  description,
});

const perCarrier = (suffix: string, partitions: number, description: string) =>
  Object.fromEntries(CARRIERS.map((c) => [c, topic(`mno.${c}.${suffix}`, partitions, `${description} (${c})`)])) as Record<
    Carrier,
    TopicDefinition
  >;

const otaPerCarrier = (direction: 'down' | 'up', description: string) =>
  Object.fromEntries(CARRIERS.map((c) => [c, topic(`ota.${c}.${direction}`, 6, `${description} (${c})`)])) as Record<
    Carrier,
    TopicDefinition
  >;

export const Topics = {
  platformProbe: topic('platform.probe', 3, 'Diagnostics and messaging self-tests'),
  // Read by every instance with a consumer of its own, never through the inbox: no retry or dead-letter topics.
  platformClock: { ...topic('platform.clock', 1, 'Simulation clock of the environment, read by every service instance'), withRetryAndDeadLetter: false },
  caCommands: topic('ca.commands', 6, 'Requests to the JPKI CA: identity proofing, issuance, revocation'),
  caEvents: topic('ca.events', 6, 'JPKI CA outcomes and certificate status changes'),
  spTsmCommands: topic('sptsm.commands', 6, 'Requests to the SP-TSM from the lifecycle service'),
  spTsmEvents: topic('sptsm.events', 6, 'Enrollment saga transitions and SSD operations'),
  lifecycleEvents: topic('lifecycle.events', 6, 'Lifecycle case transitions'),
  mnoCommands: perCarrier('commands', 6, 'SP-TSM requests to an MNO-TSM (GP-Messaging-inspired)'),
  mnoEvents: perCarrier('events', 6, 'MNO-TSM replies and notifications to the SP-TSM'),
  otaDown: otaPerCarrier('down', 'OTA bearer: command scripts to SIMs'),
  otaUp: otaPerCarrier('up', 'OTA bearer: response scripts from SIMs'),
} as const;

export function allTopics(): TopicDefinition[] {
  const out: TopicDefinition[] = [];
  const visit = (v: unknown): void => {
    if (v && typeof v === 'object' && 'name' in v && 'partitions' in v) out.push(v as TopicDefinition);
    else if (v && typeof v === 'object') Object.values(v).forEach(visit);
  };
  visit(Topics);
  return out;
}

export const retryTopicName = (name: string): string => `${name}.retry`;
export const deadLetterTopicName = (name: string): string => `${name}.dlq`;

/** Concrete topic names (with retry/DLQ companions) for one environment prefix. */
export function physicalTopics(prefix: string): { name: string; partitions: number }[] {
  return allTopics().flatMap((t) => {
    const base = [{ name: prefix + t.name, partitions: t.partitions }];
    if (!t.withRetryAndDeadLetter) return base;
    return [
      ...base,
      { name: prefix + retryTopicName(t.name), partitions: t.partitions },
      { name: prefix + deadLetterTopicName(t.name), partitions: 1 },
    ];
  });
}
