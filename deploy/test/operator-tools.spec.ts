/**
 * What the operator tools (`npm run dlq`, `npm run invariants`: libs/operations DeadLetterArchive and checkPlatform) get
 * on a deployment, and nothing more: the KafkaUser jpki-ops with the ACLs of exactly the topics and consumer groups the
 * tools' own code uses (found by running DeadLetterArchive against a recording stand-in for the broker), prod's external
 * listener they reach the brokers through (TLS, SCRAM, the operator network only, agreeing with the NetworkPolicy and the
 * example context), and the database role `ops` (read the services' tables, own the ledger schema). What that role may
 * do on a real PostgreSQL: libs/service-kit/src/test/database-roles.int-spec.ts.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { allTopics, deadLetterTopicName, KAFKA_OPERATOR_PRINCIPAL } from '@jpki/contracts';
import { generateDeploymentKeys, opsDatabaseSecretData, secretObjects } from '../src/keys';
import { KAFKA_USERS_FILE } from '../src/kafka-users';
import { KAFKA_CLIENT_PORT, KAFKA_EXTERNAL_PORT, OPERATOR_NETWORK_CIDRS } from '../src/network';
import { dbRoleOf, OPS_DB_ROLE, OPS_DB_SCHEMA, OPS_DB_SECRET, PG_DATABASE, PG_POOLER, SERVICE_INSTANCES } from '../src/services';
import { isObject, loadManifests, render, type Json, type JsonObject, type K8sObject } from './kustomize-lite';

const ROOT = resolve(__dirname, '../..');
const DEPLOY = join(ROOT, 'deploy');
const OVERLAYS = ['dev', 'ci', 'prod'];

const obj = (v: Json | undefined): JsonObject => (isObject(v) ? v : {});
const list = (v: Json | undefined): Json[] => (Array.isArray(v) ? v : []);
const byKind = (objects: K8sObject[], kind: string) => objects.filter((o) => o.kind === kind);
const named = (objects: K8sObject[], kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name);

interface Used {
  read: Set<string>;
  written: Set<string>;
  groups: Set<string>;
  deletedGroups: Set<string>;
}

/**
 * A stand-in for the broker that records what a client does: every declared topic exists and holds one record per
 * partition 0 (no headers, so a dead letter's original topic is its `.dlq` topic's base, as DeadLetterArchive reads it).
 */
function recordingKafka(used: Used, existing: string[]): unknown {
  const noop = async () => undefined;
  return {
    admin: () => ({
      connect: noop,
      disconnect: noop,
      listTopics: async () => existing,
      fetchTopicOffsets: async () => [{ partition: 0, offset: '1', low: '0', high: '1' }],
      deleteGroups: async (ids: string[]) => ids.forEach((g) => used.deletedGroups.add(g)),
    }),
    consumer: ({ groupId }: { groupId: string }) => {
      used.groups.add(groupId);
      let topics: string[] = [];
      return {
        connect: noop,
        disconnect: noop,
        subscribe: async (s: { topics: string[] }) => {
          topics = s.topics;
          topics.forEach((t) => used.read.add(t));
        },
        run: async ({ eachMessage }: { eachMessage: (p: unknown) => Promise<void> }) => {
          for (const topic of topics) await eachMessage({ topic, partition: 0, message: { offset: '0', key: Buffer.from('k'), value: Buffer.from('{}'), headers: {} } });
        },
      };
    },
    producer: () => ({ connect: noop, disconnect: noop, send: async ({ topic }: { topic: string }) => void used.written.add(topic) }),
  };
}

interface ArchiveModule {
  DeadLetterArchive: new (
    kafka: unknown,
    prefix: string,
    ledger: unknown,
  ) => { list(topic?: string): Promise<unknown[]>; redriveAll(operator: string): Promise<{ outcome: string }[]> };
}

/** One Strimzi ACL rule, flattened: `Read topic literal ca.events.dlq`. */
const aclLines = (user: K8sObject): string[] =>
  list(obj(obj(user['spec'])['authorization'])['acls'])
    .map(obj)
    .flatMap((a) => {
      const r = obj(a['resource']);
      expect(a['host']).toBe('*');
      return list(a['operations']).map((op) => `${String(op)} ${String(r['type'])} ${String(r['patternType'])} ${String(r['name'])}`);
    })
    .sort();

describe('the operator tools’ KafkaUser (jpki-ops)', () => {
  const user = loadManifests(KAFKA_USERS_FILE).find((u) => u.metadata.name === KAFKA_OPERATOR_PRINCIPAL) as K8sObject;
  const used: Used = { read: new Set(), written: new Set(), groups: new Set(), deletedGroups: new Set() };

  beforeAll(async () => {
    // Loaded by path, as the manifest test loads the apps: the deploy project does not depend on libs/operations.
    const { DeadLetterArchive } = (await import(join(ROOT, 'libs/operations/src/lib/dead-letters.ts'))) as ArchiveModule;
    const existing = allTopics().flatMap((t) => [t.name, ...(t.withRetryAndDeadLetter ? [`${t.name}.retry`, deadLetterTopicName(t.name)] : [])]);
    const ledger = { find: async () => null, claim: async (_p: string, _l: unknown, _o: string, publish: () => Promise<void>) => (await publish(), { claimed: true }) };
    // What dlq list / inspect / redrive --all and checkPlatform's dead-letter listing do, with the deployment's prefix ('').
    const archive = new DeadLetterArchive(recordingKafka(used, existing), '', ledger);
    const letters = await archive.list();
    const outcomes = await archive.redriveAll('test');
    expect(letters.length).toBeGreaterThan(0);
    expect(outcomes.every((o) => o.outcome === 'redriven')).toBe(true);
  });

  it('authenticates with SCRAM-SHA-512 in the Kafka cluster, like the services', () => {
    expect(obj(user['spec'])['authentication']).toEqual({ type: 'scram-sha-512' });
    expect(obj(user.metadata.labels as Json)['strimzi.io/cluster']).toBe('jpki-kafka');
  });

  it('may read exactly the topics the tools read (every dead-letter topic) and write exactly those a redrive writes', () => {
    const acls = aclLines(user);
    const topicAcls = (op: string) => acls.filter((l) => l.startsWith(`${op} topic literal `)).map((l) => l.split(' ')[3]);
    expect(used.read.size).toBe(allTopics().filter((t) => t.withRetryAndDeadLetter).length);
    expect(topicAcls('Read')).toEqual([...used.read].sort());
    expect(topicAcls('Write')).toEqual([...used.written].sort());
    expect([...used.read].every((t) => t.endsWith('.dlq'))).toBe(true);
    expect([...used.written].map(deadLetterTopicName).sort()).toEqual([...used.read].sort());
  });

  it('uses only its own consumer groups (the prefix covers every group the tools open and delete, and nobody else’s)', () => {
    const groupAcls = aclLines(user).filter((l) => l.includes(' group '));
    expect(groupAcls).toHaveLength(2);
    const [prefix] = new Set(groupAcls.map((l) => l.split(' ')[3]));
    expect(groupAcls).toEqual([`Delete group prefix ${prefix}`, `Read group prefix ${prefix}`]);
    expect(used.groups.size).toBeGreaterThan(0);
    for (const g of used.groups) expect({ group: g, covered: g.startsWith(prefix) }).toEqual({ group: g, covered: true });
    expect([...used.deletedGroups].sort()).toEqual([...used.groups].sort());
    for (const s of SERVICE_INSTANCES) expect({ service: s.identity, overlaps: s.identity.startsWith(prefix) || prefix.startsWith(s.identity) }).toEqual({ service: s.identity, overlaps: false });
  });

  it('has nothing else: no other resource type or operation (no topic deletion, no cluster right, no wildcard)', () => {
    const acls = aclLines(user);
    expect(acls.filter((l) => !/^(Read|Write) topic literal \S+$/.test(l) && !/^(Read|Delete) group prefix \S+$/.test(l))).toEqual([]);
    expect(acls.some((l) => l.endsWith(' *'))).toBe(false);
  });
});

describe('prod’s Kafka listener for the operator tools', () => {
  const rendered = Object.fromEntries(OVERLAYS.map((o) => [o, render(join(DEPLOY, 'overlays', o))]));
  const listenersOf = (overlay: string) => list(obj(obj(byKind(rendered[overlay], 'Kafka')[0]['spec'])['kafka'])['listeners']).map(obj);
  const external = () => listenersOf('prod').find((l) => l['type'] !== 'internal') ?? {};

  it('exists in prod only, besides the internal listeners the services use', () => {
    for (const o of OVERLAYS) expect({ o, listeners: listenersOf(o).map((l) => `${String(l['name'])}:${String(l['port'])}:${String(l['type'])}`) }).toEqual({ o, listeners: ['plain:9092:internal', 'tls:9093:internal', ...(o === 'prod' ? [`external:${KAFKA_EXTERNAL_PORT}:loadbalancer`] : [])] });
    expect(KAFKA_EXTERNAL_PORT).not.toBe(KAFKA_CLIENT_PORT);
  });

  it('authenticates with SCRAM-SHA-512 over TLS', () => {
    expect(external()).toMatchObject({ tls: true, authentication: { type: 'scram-sha-512' } });
  });

  it('admits only the operator network: the load balancers, Strimzi’s listener policy and the generated NetworkPolicy agree', () => {
    const l = external();
    const configuration = obj(l['configuration']);
    expect(list(configuration['loadBalancerSourceRanges'])).toEqual([...OPERATOR_NETWORK_CIDRS]);
    expect(list(l['networkPolicyPeers'])).toEqual(OPERATOR_NETWORK_CIDRS.map((cidr) => ({ ipBlock: { cidr } })));
    // The client's address reaches the brokers, so that the NetworkPolicies can judge it.
    expect(configuration['externalTrafficPolicy']).toBe('Local');
    for (const o of OVERLAYS) {
      const policies = byKind(rendered[o], 'NetworkPolicy');
      const allow = named(rendered[o], 'NetworkPolicy', 'allow-kafka-external') as K8sObject;
      expect(obj(allow['spec'])).toEqual({
        podSelector: { matchLabels: { 'strimzi.io/cluster': 'jpki-kafka', 'strimzi.io/broker-role': 'true' } },
        policyTypes: ['Ingress'],
        ingress: [{ from: OPERATOR_NETWORK_CIDRS.map((cidr) => ({ ipBlock: { cidr } })), ports: [{ protocol: 'TCP', port: KAFKA_EXTERNAL_PORT }] }],
      });
      // No other policy opens the port, and no policy admits an address range anywhere else.
      const others = policies.filter((p) => p !== allow).flatMap((p) => list(obj(p['spec'])['ingress']).map(obj));
      expect(others.filter((r) => list(r['ports']).some((p) => obj(p)['port'] === KAFKA_EXTERNAL_PORT))).toEqual([]);
      expect(others.filter((r) => list(r['from']).some((f) => 'ipBlock' in obj(f)))).toEqual([]);
    }
    for (const cidr of OPERATOR_NETWORK_CIDRS) expect(cidr).toMatch(/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$|:/);
  });

  it('is where the example context points the tools: its bootstrap name is in the brokers’ certificates', () => {
    const context = parse(readFileSync(join(ROOT, 'tools/contexts/kubernetes.example.yaml'), 'utf8')) as { operations: { kafkaBrokers: string[]; databaseUrlFile?: string } };
    const names = list(obj(obj(external()['configuration'])['bootstrap'])['alternativeNames']);
    for (const broker of context.operations.kafkaBrokers) {
      const [host, port] = broker.split(':');
      expect(names).toContain(host);
      expect(Number(port)).toBe(KAFKA_EXTERNAL_PORT);
    }
    expect(context.operations.databaseUrlFile).toBeDefined();
  });
});

describe('the operator tools’ database role (ops)', () => {
  const cluster = loadManifests(join(DEPLOY, 'base/postgres/cluster.yaml'))[0];
  const spec = obj(cluster['spec']);
  const sql = list(obj(obj(spec['bootstrap'])['initdb'])['postInitApplicationSQL']).map(String);
  const keys = generateDeploymentKeys({ deviceAttestation: { roots: '', vendorJson: '{}' } });

  it('is a managed login role with few connections and no special right, its password in a Secret generate-keys makes', () => {
    const role = list(obj(spec['managed'])['roles']).map(obj).find((r) => r['name'] === OPS_DB_ROLE) ?? {};
    expect(role).toEqual({ name: OPS_DB_ROLE, ensure: 'present', login: true, connectionLimit: 10, passwordSecret: { name: OPS_DB_SECRET } });
    const secret = obj((secretObjects(keys, 'jpki') as JsonObject[]).find((s) => obj(s['metadata'])['name'] === OPS_DB_SECRET));
    expect(secret['type']).toBe('kubernetes.io/basic-auth');
    const data = opsDatabaseSecretData(keys);
    expect(obj(secret['stringData'])).toEqual(data);
    const url = new URL(data['uri']);
    expect([url.username, url.password, url.hostname, url.pathname]).toEqual([OPS_DB_ROLE, data['password'], PG_POOLER, `/${PG_DATABASE}`]);
  });

  it('is granted, at bootstrap, its ledger schema, reading every service schema’s tables, and nothing that writes them', () => {
    const aboutOps = sql.filter((s) => new RegExp(`\\b${OPS_DB_ROLE}\\b`).test(s));
    expect(aboutOps).toEqual([
      `CREATE ROLE ${OPS_DB_ROLE} NOLOGIN`,
      `CREATE SCHEMA ${OPS_DB_SCHEMA} AUTHORIZATION ${OPS_DB_ROLE}`,
      ...SERVICE_INSTANCES.flatMap((s) => [
        `GRANT USAGE ON SCHEMA ${s.schema} TO ${OPS_DB_ROLE}`,
        `ALTER DEFAULT PRIVILEGES FOR ROLE ${dbRoleOf(s)} IN SCHEMA ${s.schema} GRANT SELECT ON TABLES TO ${OPS_DB_ROLE}`,
      ]),
    ]);
    // Its own schema is created before any service's, and no service schema is its.
    expect(sql.indexOf(`CREATE SCHEMA ${OPS_DB_SCHEMA} AUTHORIZATION ${OPS_DB_ROLE}`)).toBe(1);
    expect(SERVICE_INSTANCES.map((s) => s.schema)).not.toContain(OPS_DB_SCHEMA);
  });
});
