import { allTopics, KAFKA_OPERATOR_PRINCIPAL, KAFKA_SERVICE_PRINCIPALS, kafkaGrants, OPERATOR_TOOLS_GROUP, physicalTopics, topicAccess, type KafkaGrant } from '../index';

const names = (grants: KafkaGrant[], principal: string, operation: KafkaGrant['operation'], resource: KafkaGrant['resource'] = 'topic') =>
  grants.filter((g) => g.principal === principal && g.operation === operation && g.resource === resource).map((g) => g.name).sort();

describe('Kafka ACLs generated from the routing declaration', () => {
  const prefix = 't1.';
  const grants = kafkaGrants(prefix);

  it('gives each producer WRITE on exactly the topics its message routes name, plus the retry/dead-letter companions of the topics it consumes', () => {
    for (const principal of KAFKA_SERVICE_PRINCIPALS) {
      const produced = topicAccess().filter((t) => t.producers.includes(principal)).map((t) => prefix + t.topic);
      const companions = topicAccess()
        .filter((t) => t.consumers.includes(principal) && t.role !== 'broadcast' && principal !== 'console')
        .flatMap((t) => [`${prefix}${t.topic}.retry`, `${prefix}${t.topic}.dlq`]);
      expect(names(grants, principal, 'WRITE')).toEqual([...produced, ...companions].sort());
    }
  });

  it('gives each consumer READ on exactly the topics declared with it as consumer (and their retry companions)', () => {
    expect(names(grants, 'jpki-ca', 'READ')).toEqual([`${prefix}ca.commands`, `${prefix}ca.commands.retry`, `${prefix}platform.clock`]);
    expect(names(grants, 'vsim', 'READ')).toEqual(
      ['ota.docomo.down', 'ota.docomo.down.retry', 'ota.ese.down', 'ota.ese.down.retry', 'ota.kddi.down', 'ota.kddi.down.retry', 'ota.softbank.down', 'ota.softbank.down.retry', 'platform.clock'].map((t) => prefix + t),
    );
    const console = names(grants, 'console', 'READ');
    expect(console).toEqual(expect.arrayContaining([`${prefix}ca.events`, `${prefix}sptsm.events`, `${prefix}lifecycle.events`, `${prefix}mno.kddi.commands.dlq`]));
    expect(console.filter((t) => !t.endsWith('.dlq'))).toHaveLength(3);
  });

  it('keeps each carrier on its own topics: an MNO-TSM writes no other carrier’s topic', () => {
    expect(names(grants, 'mno-tsm-docomo', 'WRITE').filter((t) => /kddi|softbank/.test(t))).toEqual([]);
    expect(names(grants, 'mno-tsm-docomo', 'WRITE')).toContain(`${prefix}ota.docomo.down`);
  });

  it('lets each principal use only the consumer groups named after it, and names only topics that exist', () => {
    for (const principal of KAFKA_SERVICE_PRINCIPALS) {
      expect(grants.filter((g) => g.principal === principal && g.resource === 'group')).toEqual([
        { principal, resource: 'group', pattern: 'prefixed', name: prefix + principal, operation: 'READ' },
        { principal, resource: 'group', pattern: 'prefixed', name: prefix + principal, operation: 'DELETE' },
      ]);
    }
    const topics = new Set(physicalTopics(prefix).map((t) => t.name));
    for (const g of grants.filter((g) => g.resource === 'topic')) expect(topics.has(g.name)).toBe(true);
    expect(new Set(grants.map((g) => JSON.stringify(g))).size).toBe(grants.length);
  });

  it('gives the operator tools READ on every dead-letter topic, WRITE on the topic each belongs to (redrive) and their own groups, nothing else', () => {
    const ops = grants.filter((g) => g.principal === KAFKA_OPERATOR_PRINCIPAL);
    const withDeadLetters = allTopics().filter((t) => t.withRetryAndDeadLetter).map((t) => t.name);
    expect(withDeadLetters.length).toBeGreaterThan(0);
    expect(names(grants, KAFKA_OPERATOR_PRINCIPAL, 'READ')).toEqual(withDeadLetters.map((t) => `${prefix}${t}.dlq`).sort());
    expect(names(grants, KAFKA_OPERATOR_PRINCIPAL, 'WRITE')).toEqual(withDeadLetters.map((t) => prefix + t).sort());
    expect(names(grants, KAFKA_OPERATOR_PRINCIPAL, 'DELETE')).toEqual([]);
    expect(ops.filter((g) => g.resource === 'topic').every((g) => g.pattern === 'literal')).toBe(true);
    expect(ops.filter((g) => g.resource === 'group')).toEqual([
      { principal: KAFKA_OPERATOR_PRINCIPAL, resource: 'group', pattern: 'prefixed', name: prefix + OPERATOR_TOOLS_GROUP, operation: 'READ' },
      { principal: KAFKA_OPERATOR_PRINCIPAL, resource: 'group', pattern: 'prefixed', name: prefix + OPERATOR_TOOLS_GROUP, operation: 'DELETE' },
    ]);
    // Neither the broadcast clock nor any retry topic, and no service's consumer groups.
    expect(ops.some((g) => g.name.endsWith('.retry') || g.name === `${prefix}platform.clock`)).toBe(false);
    for (const p of KAFKA_SERVICE_PRINCIPALS) expect(ops.some((g) => g.resource === 'group' && (prefix + p).startsWith(g.name))).toBe(false);
  });
});
