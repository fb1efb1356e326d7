/**
 * Every Kafka topic of the platform, declared once: its partitions, its role and who consumes it. The bootstrap
 * step creates each topic with its retry and dead-letter companions; brokers never auto-create topics. Who may
 * produce each message type on which topic is declared with the message (`defineMessage`, `routes`); `topicAccess`
 * (routing.ts) puts the two together.
 */
export const CARRIERS = ['docomo', 'kddi', 'softbank'] as const;
export type Carrier = (typeof CARRIERS)[number];

/** The MNO-TSM of a carrier: one app run once per carrier, each with a signing identity of its own. */
export const mnoTsmOf = (carrier: Carrier) => `mno-tsm-${carrier}` as const;

/**
 * The SE-management TSM: the device side's TSM, which manages handsets' embedded secure elements (eSE) as an MNO-TSM
 * manages its carrier's SIMs. One for the platform; an eSE belongs to no carrier.
 */
export const SE_TSM = 'se-tsm' as const;

/** The platform's service identities: the names in signed envelopes, trust lists, inbox rows and consumer groups. */
export const PLATFORM_SERVICE_IDENTITIES = ['jpki-ca', 'sp-tsm', ...CARRIERS.map(mnoTsmOf), SE_TSM, 'vsim', 'lifecycle', 'rp-bank', 'rp-ticketing', 'rp-eapplication'] as const;
/**
 * Readers that are not platform services: they sign nothing and keep no inbox, they read event topics whole and check
 * every envelope against the producers' keys. `console`: the operator console's live event feed and dashboards.
 */
export const OBSERVER_IDENTITIES = ['console'] as const;
/** `probe`: the messaging self-test service (libs/service-kit tests), the only user of `platform.probe`. */
export type ServiceIdentity = (typeof PLATFORM_SERVICE_IDENTITIES)[number] | (typeof OBSERVER_IDENTITIES)[number] | 'probe';

/**
 * commands: requests to the one service that consumes the topic; a type it has no handler for is dead-lettered.
 * events: outcomes and notifications; a consumer ignores types it has no handler for.
 * broadcast: read whole by every service instance with a consumer of its own, never through the inbox (no retry or
 * dead-letter companions).
 */
export type TopicRole = 'commands' | 'events' | 'broadcast';

export interface TopicDefinition {
  /** Logical name, without the environment prefix. */
  readonly name: string;
  readonly partitions: number;
  readonly role: TopicRole;
  /** Whether `<name>.retry` and `<name>.dlq` exist (every topic read through the inbox). */
  readonly withRetryAndDeadLetter: boolean;
  /** Per-carrier topics carry one carrier's traffic: a payload naming a carrier must name this one. */
  readonly carrier?: Carrier;
  /** The embedded-SE counterpart of per-carrier topics: it carries payloads that name an eSE (`seid`) and no carrier. */
  readonly embeddedSe?: true;
  /** The services that subscribe to it (their subscriptions are derived from this). */
  readonly consumers: readonly ServiceIdentity[];
  readonly description: string;
}

const topic = (name: string, partitions: number, role: TopicRole, consumers: readonly ServiceIdentity[], description: string, carrier?: Carrier | 'ese'): TopicDefinition => ({
  name,
  partitions,
  role,
  withRetryAndDeadLetter: role !== 'broadcast',
  ...(carrier === 'ese' ? { embeddedSe: true as const } : carrier ? { carrier } : {}),
  consumers,
  description,
});

const perCarrier = (name: (c: Carrier) => string, role: TopicRole, consumers: (c: Carrier) => readonly ServiceIdentity[], description: string) =>
  Object.fromEntries(CARRIERS.map((c) => [c, topic(name(c), 6, role, consumers(c), `${description} (${c})`, c)])) as Record<Carrier, TopicDefinition>;

export const Topics = {
  platformProbe: topic('platform.probe', 3, 'commands', ['probe'], 'Diagnostics and messaging self-tests'),
  platformClock: topic('platform.clock', 1, 'broadcast', PLATFORM_SERVICE_IDENTITIES, 'Simulation clock of the environment, read by every service instance'),
  caCommands: topic('ca.commands', 6, 'commands', ['jpki-ca'], 'Requests to the JPKI CA: identity proofing, issuance, revocation'),
  caEvents: topic('ca.events', 6, 'events', ['sp-tsm', 'lifecycle', 'rp-bank', 'console'], 'JPKI CA outcomes and certificate status changes'),
  spTsmCommands: topic('sptsm.commands', 6, 'commands', ['sp-tsm'], 'Requests to the SP-TSM from the lifecycle service'),
  spTsmEvents: topic('sptsm.events', 6, 'events', ['lifecycle', 'console'], 'Enrollment saga transitions and SSD operations'),
  lifecycleEvents: topic('lifecycle.events', 6, 'events', ['console'], 'Lifecycle case transitions'),
  mnoCommands: perCarrier((c) => `mno.${c}.commands`, 'commands', (c) => [mnoTsmOf(c)], 'SP-TSM requests to an MNO-TSM (GP-Messaging-inspired)'),
  mnoEvents: perCarrier((c) => `mno.${c}.events`, 'events', () => ['sp-tsm', 'lifecycle'], 'MNO-TSM replies and notifications to the SP-TSM'),
  otaDown: perCarrier((c) => `ota.${c}.down`, 'commands', () => ['vsim'], 'OTA bearer: command scripts to SIMs'),
  otaUp: perCarrier((c) => `ota.${c}.up`, 'events', (c) => [mnoTsmOf(c)], 'OTA bearer: response scripts from SIMs'),
  seCommands: topic('se.commands', 6, 'commands', [SE_TSM], 'SP-TSM requests to the SE-management TSM (the mno.* operations for embedded SEs)', 'ese'),
  seEvents: topic('se.events', 6, 'events', ['sp-tsm'], 'SE-management TSM replies to the SP-TSM', 'ese'),
  otaEseDown: topic('ota.ese.down', 6, 'commands', ['vsim'], "Handset push channel: command scripts to embedded SEs", 'ese'),
  otaEseUp: topic('ota.ese.up', 6, 'events', [SE_TSM], 'Handset push channel: response scripts from embedded SEs', 'ese'),
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

/** The topic with this logical name, if one is declared. */
export function topicNamed(name: string): TopicDefinition | undefined {
  return allTopics().find((t) => t.name === name);
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
