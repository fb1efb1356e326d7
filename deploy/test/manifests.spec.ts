/**
 * Offline validation of the deployment artefacts (no cluster and no Docker on the build machines):
 * every YAML parses, every kustomization resolves, the overlays render (kustomize-lite) to the objects
 * and replica counts each environment needs, every Deployment has the probes, shutdown budget, resources
 * and security context the platform relies on, the environment each pod (and each compose service) gets
 * passes that app's own config schema, topics.yaml matches libs/contracts, docker-compose covers the whole
 * stack, and the generated keys cover every Secret the manifests reference.
 */
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative, resolve } from 'node:path';
import { parse } from 'yaml';
import { CARRIER_PROFILES, KAFKA_OPERATOR_PRINCIPAL, physicalTopics, topicAccess } from '@jpki/contracts';
import { OTLP_PROTOCOL, tracingConfigProblem, tracingRequested } from '@jpki/observability';
import {
  databaseSecretData,
  DEVICE_ATTESTATION_VENDOR_FILE,
  envFileVariables,
  generateDeploymentKeys,
  kafkaPasswordVariable,
  secretObjects,
  serviceSecretEnv,
  trustEnv,
  type DeploymentKeys,
  type DeviceAttestationVendor,
} from '../src/keys';
import {
  dbRoleOf,
  dbSecretOf,
  DEVICE_ATTESTATION_SECRET,
  envPrefixOf,
  JPKI_CA_URL,
  keySecretOf,
  OPS_DB_ROLE,
  OPS_DB_SCHEMA,
  PG_CLUSTER,
  PG_DATABASE,
  PG_POOLER,
  SERVICE_INSTANCES,
  TRUST_SECRET,
  type ServiceInstance,
} from '../src/services';
import { consumedTopics, renderScaledObjects, SCALED_OBJECTS_FILE } from '../src/autoscaling';
import { httpCallees, KAFKA_CLIENT_PORT, NETWORK_POLICIES_FILE, OTEL_COLLECTOR, OTEL_COLLECTOR_ENDPOINT, PLATFORM_NAMESPACES, PUBLIC_SERVICES, renderNetworkPolicies } from '../src/network';
import { KAFKA_USERS_FILE, renderKafkaUsers } from '../src/kafka-users';
import { BROADCAST_TOPICS, renderKafkaTopics, roleOf, TOPICS_FILE } from '../src/topics';
import { containersOf, imageName, isObject, loadManifests, parseEnvFile, parseYamlFile, render, type Json, type JsonObject, type K8sObject } from './kustomize-lite';

const ROOT = resolve(__dirname, '../..');
const DEPLOY = join(ROOT, 'deploy');
const COMPOSE = join(ROOT, 'docker-compose.yml');

const MIN_GRACE_S = 45;
/**
 * Upper bound of the PostgreSQL connections one service pod holds: the service-kit pool (10), the outbox
 * relay's LISTEN connection, the saga engine's, the CA's NOTIFY listener and a migration connection at start.
 */
const DB_CONNECTIONS_PER_POD = 13;
/** What the Dockerfile sets with ENV (the image's part of every container's environment). */
const IMAGE_ENV = { NODE_ENV: 'production', HTTP_HOST: '0.0.0.0', KAFKAJS_NO_PARTITIONER_WARNING: '1' };
/** Variables read by something other than the app's config schema (kafkajs; the image's entrypoint). */
const NON_SCHEMA_VARIABLES = new Set(['KAFKAJS_NO_PARTITIONER_WARNING', 'APP']);
/** A stand-in for the CNPG `uri` (the one value of a pod's environment no test can generate). */
const FAKE_DATABASE_URL = 'postgres://jpki:secret@jpki-pg-rw:5432/jpki';

/** The tracing component, off by default: prod lists it in a comment, to uncomment (relative to an overlay's directory). */
const TRACING_COMPONENT = '../../components/tracing';

interface Environment {
  namespace: string;
  prod: boolean;
  /** The overlay directory (default: the environment's name) and the components switched on besides its own. */
  overlay?: string;
  components?: string[];
}

const ENVIRONMENTS: Record<string, Environment> = {
  dev: { namespace: 'jpki-dev', prod: false },
  ci: { namespace: 'jpki-ci', prod: false },
  prod: { namespace: 'jpki', prod: true },
  // prod with its tracing line uncommented: every check of prod holds with traces on too.
  'prod+tracing': { namespace: 'jpki', prod: true, overlay: 'prod', components: [TRACING_COMPONENT] },
};

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const p = join(dir, entry);
    if (statSync(p).isDirectory()) return entry === 'node_modules' ? [] : walk(p);
    return [p];
  });
}

const yamlFiles = walk(DEPLOY).filter((f) => /\.ya?ml$/.test(f));
const kustomizationFiles = yamlFiles.filter((f) => basename(f) === 'kustomization.yaml');
const rel = (f: string) => relative(ROOT, f);

const obj = (v: Json | undefined): JsonObject => (isObject(v) ? v : {});
const list = (v: Json | undefined): Json[] => (Array.isArray(v) ? v : []);
const str = (v: Json | undefined): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);
const byKind = (objects: K8sObject[], kind: string) => objects.filter((o) => o.kind === kind);
/** A configMapGenerator's ConfigMap, by the name it was generated under (rendered as `<name>-<content hash>`). */
const generatedConfigMap = (objects: K8sObject[], name: string) => objects.find((o) => o.kind === 'ConfigMap' && new RegExp(`^${name}-[a-z0-9]{10}$`).test(o.metadata.name));
const named = (objects: K8sObject[], kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name);
const instanceOf = (identity: string): ServiceInstance => {
  const s = SERVICE_INSTANCES.find((i) => i.identity === identity);
  if (!s) throw new Error(`unknown service ${identity}`);
  return s;
};
const selects = (selector: Record<string, Json>, labels: Record<string, Json>) =>
  Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);

/**
 * Loaded by path at run time, like the apps' config modules below: the device-attestation vendor is made by
 * tools/deploy (with @jpki/iphone-device, a domain library the deploy project does not depend on), exactly
 * as generate-keys makes it.
 */
let deviceAttestationVendor: (vendorFile?: string) => DeviceAttestationVendor;
let keys: DeploymentKeys;
let generatedSecrets: Map<string, JsonObject>;

beforeAll(async () => {
  ({ deviceAttestationVendor } = (await import(join(ROOT, 'tools/deploy/device-attestation.ts'))) as { deviceAttestationVendor: typeof deviceAttestationVendor });
  keys = generateDeploymentKeys({ deviceAttestation: deviceAttestationVendor() });
  generatedSecrets = new Map(secretObjects(keys, 'test').map((s) => [obj(s['metadata'] as Json)['name'] as string, obj(s['stringData'] as Json)]));
});

/**
 * Each app's own configuration module (apps/<app>/src/config.ts): its `…ConfigSchema` (which variables it
 * reads) and its `load…Config` (the validation the service runs at start). Loaded by path at run time: the
 * deploy project does not depend on the apps, it only checks that what it deploys is what they accept.
 */
interface AppConfig {
  variables: Set<string>;
  load: (env: NodeJS.ProcessEnv) => Record<string, unknown>;
}
const appConfigs = new Map<string, AppConfig>();

beforeAll(async () => {
  for (const app of new Set(SERVICE_INSTANCES.map((s) => s.app))) {
    const mod = (await import(join(ROOT, 'apps', app, 'src', 'config.ts'))) as Record<string, unknown>;
    const schemas = Object.entries(mod).filter(([name]) => /ConfigSchema$/.test(name));
    const loaders = Object.entries(mod).filter(([name, v]) => /^load\w*Config$/.test(name) && typeof v === 'function');
    if (schemas.length !== 1 || loaders.length !== 1) throw new Error(`apps/${app}/src/config.ts: expected one *ConfigSchema and one load*Config export`);
    const shape = obj((schemas[0][1] as { shape?: Json }).shape);
    const loader = loaders[0][1] as (env: NodeJS.ProcessEnv) => Record<string, unknown>;
    appConfigs.set(app, {
      variables: new Set(Object.keys(shape)),
      // mno-tsm's loader answers { config, settings }; the others answer the config.
      load: (env) => {
        const out = loader(env);
        return isObject(out['config'] as Json) && 'settings' in out ? (out['config'] as Record<string, unknown>) : out;
      },
    });
  }
});

/** Validates one instance's environment with its app's schema; answers the parsed config. */
function checkEnvironment(s: ServiceInstance, env: Record<string, string>, where: string): Record<string, unknown> {
  const app = appConfigs.get(s.app);
  if (!app) throw new Error(`no config module for ${s.app}`);
  // OTEL_* are read by @jpki/observability's OpenTelemetry SDK, not by the app's schema; what it would refuse at start fails here.
  const unknown = Object.keys(env).filter((k) => !app.variables.has(k) && !NON_SCHEMA_VARIABLES.has(k) && !(k in IMAGE_ENV) && !k.startsWith('OTEL_'));
  expect({ where, unknown }).toEqual({ where, unknown: [] });
  expect({ where, tracingProblem: tracingConfigProblem(env) }).toEqual({ where, tracingProblem: undefined });
  let config: Record<string, unknown> = {};
  expect(() => {
    config = app.load(env);
  }).not.toThrow();
  expect(config['HTTP_PORT']).toBe(s.port);
  expect(config['DB_SCHEMA']).toBe(s.schema);
  for (const [k, v] of Object.entries(s.settings ?? {})) expect({ where, [k]: env[k] }).toEqual({ where, [k]: v });
  if (s.deviceAttestationRoots) expect((config['DEVICE_ATTESTATION_ROOTS'] as string[]).length).toBeGreaterThan(0);
  for (const k of ['SERVICE_SIGNING_KEY', 'SERVICE_TRANSPORT_KEY', 'KEY_ENCRYPTION_KEYS', ...Object.keys(trustEnv(keys))]) expect({ where, [k]: typeof config[k] }).toEqual({ where, [k]: 'string' });
  return config;
}

describe('YAML files', () => {
  it('finds the manifests', () => {
    expect(kustomizationFiles.length).toBeGreaterThanOrEqual(12);
  });

  it.each(yamlFiles.map(rel))('%s parses and holds well-formed Kubernetes objects', (file) => {
    const abs = join(ROOT, file);
    if (basename(abs) === 'kustomization.yaml') {
      expect(parseYamlFile(abs)).toHaveLength(1);
      return;
    }
    const objects = loadManifests(abs);
    expect(objects.length).toBeGreaterThan(0);
    for (const o of objects) {
      expect(o.metadata.name).toMatch(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/);
      expect(o.metadata.name.length).toBeLessThanOrEqual(253);
    }
  });

  it('docker-compose.yml parses (merge keys on)', () => {
    expect(parseYamlFile(COMPOSE, { merge: true })).toHaveLength(1);
  });

  it('contains no Secret objects and no key material: secrets are referenced, never committed', () => {
    for (const file of [...yamlFiles, COMPOSE]) {
      const text = readFileSync(file, 'utf8');
      expect({ file: rel(file), secret: /^kind:\s*Secret\s*$/m.test(text) }).toEqual({ file: rel(file), secret: false });
      // base64 PKCS#8 DER of Ed25519/X25519 keys starts with MC4CAQAw; SPKI with MCowBQYDK2V.
      expect({ file: rel(file), key: /MC4CAQAw|MCowBQYDK2V/.test(text) }).toEqual({ file: rel(file), key: false });
    }
  });
});

describe('kustomizations', () => {
  it.each(kustomizationFiles.map(rel))('%s: every referenced path exists', (file) => {
    const dir = join(ROOT, file, '..');
    const [k] = parseYamlFile(join(ROOT, file)) as JsonObject[];
    expect(['Kustomization', 'Component']).toContain(k['kind']);
    const paths = [
      ...list(k['resources']),
      ...list(k['components']),
      ...list(k['patches']).map((p) => obj(p)['path']).filter((p): p is string => typeof p === 'string'),
      ...list(k['configMapGenerator']).flatMap((g) => list(obj(g)['envs'])),
    ] as string[];
    expect(paths.length).toBeGreaterThan(0);
    for (const p of paths) {
      const target = resolve(dir, p);
      expect({ path: p, exists: existsSync(target) }).toEqual({ path: p, exists: true });
      if (existsSync(target) && statSync(target).isDirectory()) expect(existsSync(join(target, 'kustomization.yaml'))).toBe(true);
    }
  });

  it('every manifest file is used by some kustomization (no orphans)', () => {
    const used = new Set<string>();
    for (const file of kustomizationFiles) {
      const [k] = parseYamlFile(file) as JsonObject[];
      const refs = [...list(k['resources']), ...list(k['patches']).map((p) => obj(p)['path'])].filter((p): p is string => typeof p === 'string');
      for (const r of refs) used.add(resolve(file, '..', r));
    }
    const orphans = yamlFiles.filter((f) => basename(f) !== 'kustomization.yaml' && !used.has(f)).map(rel);
    expect(orphans).toEqual([]);
  });

  it('the base renders on its own', () => {
    const base = render(join(DEPLOY, 'base'));
    expect(byKind(base, 'Deployment').map((d) => d.metadata.name).sort()).toEqual(SERVICE_INSTANCES.map((s) => s.identity).sort());
    expect(base.every((o) => o.kind === 'Namespace' || o.metadata.namespace === 'jpki')).toBe(true);
  });
});

describe('topics.yaml', () => {
  it('equals a fresh render from libs/contracts (run tools/deploy/generate-topics.ts after changing topics)', () => {
    expect(readFileSync(TOPICS_FILE, 'utf8')).toBe(renderKafkaTopics(physicalTopics('')));
  });

  it('declares every topic with its retry and dead-letter companions', () => {
    const declared = new Map(loadManifests(TOPICS_FILE).map((t) => [str(obj(t['spec'])['topicName']), obj(t['spec'])]));
    const wanted = physicalTopics('');
    expect(wanted.some((t) => t.name.endsWith('.retry'))).toBe(true);
    expect(wanted.some((t) => t.name.endsWith('.dlq'))).toBe(true);
    expect(declared.size).toBe(wanted.length);
    for (const t of wanted) {
      expect({ topic: t.name, partitions: declared.get(t.name)?.['partitions'] }).toEqual({ topic: t.name, partitions: t.partitions });
      if (roleOf(t.name) !== 'broadcast') expect(Number(obj(declared.get(t.name)?.['config'])['retention.ms'])).toBeGreaterThan(0);
    }
  });

  it('keeps broadcast topics (platform.clock) whole and in one partition: every instance replays them from the start', () => {
    expect([...BROADCAST_TOPICS]).toContain('platform.clock');
    const declared = new Map(loadManifests(TOPICS_FILE).map((t) => [str(obj(t['spec'])['topicName']), t]));
    for (const name of BROADCAST_TOPICS) {
      const t = declared.get(name) as K8sObject;
      const spec = obj(t['spec']);
      expect(spec['partitions']).toBe(1);
      expect(obj(spec['config'])).toEqual({ 'cleanup.policy': 'delete', 'retention.ms': -1 });
      expect(obj(t.metadata.labels as Json)['jpki.dev/topic-role']).toBe('broadcast');
    }
    expect(roleOf('dev.platform.clock', 'dev.')).toBe('broadcast');
    expect(roleOf('dev.platform.clock.retry', 'dev.')).toBe('retry');
  });
});

describe('users.yaml', () => {
  it('equals a fresh render from libs/contracts (run tools/deploy/generate-kafka-users.ts after changing topics or routes)', () => {
    expect(readFileSync(KAFKA_USERS_FILE, 'utf8')).toBe(renderKafkaUsers());
  });

  it('lets each service write exactly the topics its messages are routed to (and the retry/dead-letter companions of what it consumes)', () => {
    const users = new Map(loadManifests(KAFKA_USERS_FILE).map((u) => [u.metadata.name, obj(obj(u['spec'])['authorization'])]));
    // Besides the services, the operator tools' user (its ACLs: deploy/test/operator-tools.spec.ts).
    expect([...users.keys()].sort()).toEqual([...SERVICE_INSTANCES.map((s) => s.identity), KAFKA_OPERATOR_PRINCIPAL].sort());
    users.delete(KAFKA_OPERATOR_PRINCIPAL);
    for (const [identity, authorization] of users) {
      expect(authorization['type']).toBe('simple');
      const writes = list(authorization['acls']).map(obj).filter((a) => list(a['operations']).includes('Write')).map((a) => str(obj(a['resource'])['name']));
      const produced = topicAccess().filter((t) => (t.producers as readonly string[]).includes(identity)).map((t) => t.topic);
      const companions = topicAccess().filter((t) => (t.consumers as readonly string[]).includes(identity) && t.role !== 'broadcast').flatMap((t) => [`${t.topic}.retry`, `${t.topic}.dlq`]);
      expect(writes.sort()).toEqual([...produced, ...companions].sort());
    }
  });

  it.each(['base', ...Object.keys(ENVIRONMENTS)])('authenticates every Kafka listener (SCRAM-SHA-512) and authorises with ACLs: %s', (env) => {
    const kafka =
      env === 'base'
        ? loadManifests(join(DEPLOY, 'base/kafka/kafka.yaml'))[0]
        : byKind(render(join(DEPLOY, 'overlays', ENVIRONMENTS[env].overlay ?? env), { components: ENVIRONMENTS[env].components }), 'Kafka')[0];
    const spec = obj(obj(kafka['spec'])['kafka']);
    for (const l of list(spec['listeners']).map(obj)) expect({ listener: l['name'], authentication: l['authentication'] }).toEqual({ listener: l['name'], authentication: { type: 'scram-sha-512' } });
    // Only the cluster-internal listeners, except prod's one for the operator tools, which is TLS (operator-tools.spec.ts).
    for (const l of list(spec['listeners']).map(obj).filter((x) => x['type'] !== 'internal')) expect({ env, listener: l['name'], tls: l['tls'] }).toEqual({ env, listener: 'external', tls: true });
    expect(spec['authorization']).toEqual({ type: 'simple' });
    expect(obj(obj(kafka['spec'])['entityOperator'])['userOperator']).toEqual({});
  });
});

describe('network-policies.yaml', () => {
  it('equals a fresh render from the service catalogue (run tools/deploy/generate-manifests.ts after changing it)', () => {
    expect(readFileSync(NETWORK_POLICIES_FILE, 'utf8')).toBe(renderNetworkPolicies());
  });

  it('derives service-to-service HTTP from the URLs in the settings: only the relying parties call the CA', () => {
    const edges = SERVICE_INSTANCES.flatMap((s) => httpCallees(s).map((c) => `${s.identity} -> ${c.identity}`));
    expect(edges).toEqual(['rp-bank -> jpki-ca', 'rp-ticketing -> jpki-ca', 'rp-eapplication -> jpki-ca']);
  });
});

describe('tracing component', () => {
  const prodKustomization = readFileSync(join(DEPLOY, 'overlays/prod/kustomization.yaml'), 'utf8');
  const component = join(DEPLOY, 'overlays/prod', TRACING_COMPONENT);

  it('is off in prod until its documented line is uncommented', () => {
    expect(existsSync(join(component, 'kustomization.yaml'))).toBe(true);
    expect(prodKustomization).toMatch(new RegExp(`^  # - ${TRACING_COMPONENT.replace(/[./]/g, '\\$&')}$`, 'm'));
    expect(list(obj((parseYamlFile(join(DEPLOY, 'overlays/prod/kustomization.yaml')) as JsonObject[])[0])['components'])).not.toContain(TRACING_COMPONENT);
    const prod = render(join(DEPLOY, 'overlays/prod'));
    const otel = byKind(prod, 'ConfigMap').flatMap((c) => Object.keys(obj(c['data'])).filter((k) => k.startsWith('OTEL_')));
    expect(otel).toEqual([]);
  });

  it('points every service at the collector the NetworkPolicy opens, with the one OTLP protocol the services export', () => {
    const traced = render(join(DEPLOY, 'overlays/prod'), { components: [TRACING_COMPONENT] });
    const data = obj(generatedConfigMap(traced, 'jpki-platform')?.['data']);
    const endpoint = new URL(String(data['OTEL_EXPORTER_OTLP_ENDPOINT']));
    expect(endpoint.hostname).toBe(`${OTEL_COLLECTOR.service}.${OTEL_COLLECTOR.namespace}.svc`);
    expect(Number(endpoint.port)).toBe(OTEL_COLLECTOR.port);
    expect(data['OTEL_EXPORTER_OTLP_PROTOCOL']).toBe(OTLP_PROTOCOL);
    expect(tracingConfigProblem(data as Record<string, string>)).toBeUndefined();
    // What the services would refuse at start, the check refuses too.
    expect(tracingConfigProblem({ ...(data as Record<string, string>), OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toMatch(/^OTEL_EXPORTER_OTLP_PROTOCOL=grpc: /);
  });
});

/** Metrics of Strimzi's Kafka Exporter (kafka_exporter) that alerts and the dashboard use. */
const KAFKA_EXPORTER_METRICS = ['kafka_consumergroup_lag', 'kafka_topic_partition_current_offset'];

/** Every metric the services register through @jpki/observability (counter/histogram calls in apps and libs). */
function serviceMetricNames(): string[] {
  const sources = [join(ROOT, 'apps'), join(ROOT, 'libs')].flatMap((d) => walk(d)).filter((f) => f.endsWith('.ts') && !f.endsWith('.spec.ts'));
  return sources.flatMap((f) =>
    [...readFileSync(f, 'utf8').matchAll(/\b(counter|histogram)\('([a-z_][a-z0-9_]*)'/g)].flatMap(([, kind, name]) => (kind === 'histogram' ? [`${name}_bucket`, `${name}_count`, `${name}_sum`] : [name])),
  );
}

/** The ScaledObject that owns a Deployment's size, if any. */
const scalerOf = (objects: K8sObject[], d: K8sObject) => byKind(objects, 'ScaledObject').find((h) => obj(obj(h['spec'])['scaleTargetRef'])['name'] === d.metadata.name);

/** Does a NetworkPolicy peer list admit a pod with these labels in the same namespace (or from namespace `ns`)? */
const admits = (peers: Json[], pod: { labels?: Record<string, Json>; namespace?: string }): boolean =>
  peers.map(obj).some((peer) => {
    const podSel = obj(obj(peer['podSelector'])['matchLabels']);
    const nsSel = obj(obj(peer['namespaceSelector'])['matchLabels']);
    if (peer['namespaceSelector']) return !!pod.namespace && nsSel['kubernetes.io/metadata.name'] === pod.namespace && (!peer['podSelector'] || selects(podSel, pod.labels ?? {}));
    return !pod.namespace && !!pod.labels && selects(podSel, pod.labels);
  });

/** Gateway API PathPrefix / Exact matching (prefixes match whole path elements). */
const pathMatches = (match: JsonObject, path: string): boolean => {
  const p = obj(match['path']);
  const value = String(p['value']);
  return p['type'] === 'Exact' ? path === value : path === value || path.startsWith(`${value.replace(/\/$/, '')}/`);
};

describe.each(Object.entries(ENVIRONMENTS))('overlay %s', (env, expected) => {
  let rendered: K8sObject[] = [];
  let deployments: K8sObject[] = [];
  let configMaps: K8sObject[] = [];
  let nodePool: K8sObject;
  let kafka: K8sObject;
  let cluster: K8sObject;
  const maxPartitions = Math.max(...physicalTopics('').map((t) => t.partitions));

  // A rendering error (missing file, patch path that no longer exists, duplicate object) fails every test below.
  beforeAll(() => {
    rendered = render(join(DEPLOY, 'overlays', expected.overlay ?? env), { components: expected.components });
    deployments = byKind(rendered, 'Deployment');
    configMaps = byKind(rendered, 'ConfigMap');
    [nodePool] = byKind(rendered, 'KafkaNodePool');
    [kafka] = byKind(rendered, 'Kafka');
    [cluster] = byKind(rendered, 'Cluster');
  });

  it('puts everything into its namespace', () => {
    const namespaces = byKind(rendered, 'Namespace');
    expect(namespaces.map((n) => n.metadata.name)).toEqual([expected.namespace]);
    for (const o of rendered.filter((x) => x.kind !== 'Namespace')) expect(`${o.kind}/${o.metadata.name}:${o.metadata.namespace}`).toBe(`${o.kind}/${o.metadata.name}:${expected.namespace}`);
  });

  it('has one Deployment, Service and ConfigMap per service instance', () => {
    for (const kind of ['Deployment', 'Service']) {
      expect(byKind(rendered, kind).map((o) => o.metadata.name).sort()).toEqual(SERVICE_INSTANCES.map((s) => s.identity).sort());
    }
    for (const s of SERVICE_INSTANCES) expect(generatedConfigMap(rendered, s.identity)).toBeDefined();
  });

  it(expected.prod ? 'turns the simulation clock off (no POST /clock, platform.clock ignored)' : 'lets integrators move the simulation clock, within a bound', () => {
    const days = Number(obj(generatedConfigMap(rendered, 'jpki-platform')?.['data'])['SIMULATION_CLOCK_MAX_JUMP_DAYS']);
    if (expected.prod) expect(days).toBe(0);
    else expect(days).toBeGreaterThan(0);
    // one platform-wide value: no service overrides it in its own ConfigMap
    for (const s of SERVICE_INSTANCES) expect(obj(generatedConfigMap(rendered, s.identity)?.['data'])['SIMULATION_CLOCK_MAX_JUMP_DAYS']).toBeUndefined();
  });

  it('declares Strimzi KRaft Kafka with a controller+broker node pool, every topic, and a CNPG cluster', () => {
    expect(nodePool.apiVersion).toBe('kafka.strimzi.io/v1');
    expect(list(obj(nodePool['spec'])['roles']).sort()).toEqual(['broker', 'controller']);
    expect(obj(nodePool.metadata.labels as Json)['strimzi.io/cluster']).toBe(kafka.metadata.name);
    expect(obj(kafka.metadata['annotations'])).toMatchObject({ 'strimzi.io/node-pools': 'enabled', 'strimzi.io/kraft': 'enabled' });
    const config = obj(obj(obj(kafka['spec'])['kafka'])['config']);
    expect(config['auto.create.topics.enable']).toBe(false);
    const topics = byKind(rendered, 'KafkaTopic');
    expect(topics).toHaveLength(physicalTopics('').length);
    for (const t of topics) expect(obj(t.metadata.labels as Json)['strimzi.io/cluster']).toBe(kafka.metadata.name);
    expect(cluster.apiVersion).toBe('postgresql.cnpg.io/v1');
    expect(obj(obj(cluster['spec'])['bootstrap'])['initdb']).toMatchObject({ database: 'jpki', owner: 'jpki' });
    expect(cluster.metadata.name).toBe(PG_CLUSTER);
  });

  it('keeps replication settings consistent with the number of brokers', () => {
    const brokers = Number(obj(nodePool['spec'])['replicas']);
    const config = obj(obj(obj(kafka['spec'])['kafka'])['config']);
    const rf = Number(config['default.replication.factor']);
    const minIsr = Number(config['min.insync.replicas']);
    expect(rf).toBeLessThanOrEqual(brokers);
    expect(Number(config['offsets.topic.replication.factor'])).toBeLessThanOrEqual(brokers);
    expect(Number(config['transaction.state.log.replication.factor'])).toBeLessThanOrEqual(brokers);
    expect(minIsr).toBeLessThanOrEqual(Math.max(1, rf - 1));
    for (const t of byKind(rendered, 'KafkaTopic')) {
      const spec = obj(t['spec']);
      expect(Number(spec['replicas'])).toBe(rf);
      expect(Number(obj(spec['config'])['min.insync.replicas'] ?? minIsr)).toBeLessThanOrEqual(Math.max(1, rf - 1));
    }
  });

  it.each(SERVICE_INSTANCES.map((s) => s.identity))('%s: Deployment is probe-, shutdown-, resource- and security-ready', (identity) => {
    const s = instanceOf(identity);
    const dep = named(rendered, 'Deployment', identity) as K8sObject;
    const spec = obj(dep['spec']);
    const template = obj(spec['template']);
    const pod = obj(template['spec']);
    const podLabels = obj(obj(template['metadata'])['labels']);
    const [container, ...others] = containersOf(dep);
    expect(others).toEqual([]);

    // selector ↔ pod labels, unique per Deployment
    const selector = obj(obj(spec['selector'])['matchLabels']);
    expect(selects(selector, podLabels)).toBe(true);
    expect(podLabels['app.kubernetes.io/instance']).toBe(identity);
    for (const other of deployments.filter((d) => d !== dep)) {
      expect(selects(selector, obj(obj(obj(obj(other['spec'])['template'])['metadata'])['labels']))).toBe(false);
    }

    // port, probes
    const ports = list(container['ports']).map(obj);
    expect(ports).toHaveLength(1);
    const port = ports[0];
    expect(port['containerPort']).toBe(s.port);
    const probePort = (probe: string) => obj(obj(container[probe])['httpGet']);
    for (const [probe, path] of [
      ['startupProbe', '/health/live'],
      ['livenessProbe', '/health/live'],
      ['readinessProbe', '/health/ready'],
    ] as const) {
      const get = probePort(probe);
      expect({ probe, path: get['path'] }).toEqual({ probe, path });
      expect([port['name'], port['containerPort']]).toContain(get['port']);
    }
    const startup = obj(container['startupProbe']);
    expect(Number(startup['periodSeconds']) * Number(startup['failureThreshold'])).toBeGreaterThanOrEqual(60);

    // configuration: shared + own ConfigMap, trust + own keys Secret, DATABASE_URL from CNPG
    const envFrom = list(container['envFrom']).map(obj);
    const configRefs = envFrom.map((e) => str(obj(e['configMapRef'])['name'])).filter((n): n is string => !!n);
    const secretRefs = envFrom.map((e) => str(obj(e['secretRef'])['name'])).filter((n): n is string => !!n);
    // Generated ConfigMaps, referenced under their content-hash name (a changed value rolls the pods).
    expect(configRefs).toEqual([generatedConfigMap(rendered, 'jpki-platform')?.metadata.name, generatedConfigMap(rendered, identity)?.metadata.name]);
    expect(secretRefs).toEqual([TRUST_SECRET, keySecretOf(identity)]);
    const env = new Map(list(container['env']).map(obj).map((e) => [str(e['name']), e]));
    expect(env.get('APP')?.['value']).toBe(s.app);
    expect(existsSync(join(ROOT, 'apps', s.app, 'project.json'))).toBe(true);
    expect(obj(obj(env.get('DATABASE_URL')?.['valueFrom'])['secretKeyRef'])).toEqual({ name: dbSecretOf(identity), key: 'uri' });
    // Kafka as its own KafkaUser, the password from the Secret Strimzi's User Operator writes under the user's name.
    expect(named(rendered, 'KafkaUser', identity)).toBeDefined();
    expect(env.get('KAFKA_SASL_USERNAME')?.['value']).toBe(identity);
    expect(obj(obj(env.get('KAFKA_SASL_PASSWORD')?.['valueFrom'])['secretKeyRef'])).toEqual({ name: identity, key: 'password' });
    const data = { ...obj(generatedConfigMap(rendered, 'jpki-platform')?.['data']), ...obj(generatedConfigMap(rendered, identity)?.['data']) };
    expect(data['HTTP_PORT']).toBe(String(s.port));
    expect(data['DB_SCHEMA']).toBe(s.schema);
    expect(data['CARRIER']).toBe(s.carrier);
    expect(data['KAFKA_BROKERS']).toBe(`${kafka.metadata.name}-kafka-bootstrap:9092`);
    const ownSecret = generatedSecrets.get(keySecretOf(identity)) ?? {};
    expect(Object.keys(ownSecret).sort()).toEqual(
      [
        'KEY_ENCRYPTION_KEYS',
        'SERVICE_SIGNING_KEY',
        'SERVICE_TRANSPORT_KEY',
        ...(s.isdKeyBytes ? ['ISD_MASTER_KEY'] : []),
        ...(s.deviceAttestationRoots ? ['DEVICE_ATTESTATION_ROOTS'] : []),
      ].sort(),
    );

    // the pod's whole environment (image ENV, ConfigMaps and Secrets in envFrom order, then env) passes the app's schema
    const podEnv: Record<string, string> = { ...IMAGE_ENV };
    for (const e of envFrom) {
      const cm = str(obj(e['configMapRef'])['name']);
      const secret = str(obj(e['secretRef'])['name']);
      const source = cm ? obj(named(rendered, 'ConfigMap', cm)?.['data']) : obj(generatedSecrets.get(secret ?? ''));
      for (const [k, v] of Object.entries(source)) podEnv[k] = String(v);
    }
    for (const e of list(container['env']).map(obj)) podEnv[String(e['name'])] = e['valueFrom'] ? FAKE_DATABASE_URL : String(e['value']);
    const config = checkEnvironment(s, podEnv, `${env}/${identity}`);
    // Traces only where the tracing component is on, exported to the collector the NetworkPolicies open.
    const tracing = !!expected.components?.includes(TRACING_COMPONENT);
    expect(tracingRequested(podEnv)).toBe(tracing);
    if (tracing) expect([podEnv['OTEL_EXPORTER_OTLP_ENDPOINT'], podEnv['OTEL_EXPORTER_OTLP_PROTOCOL']]).toEqual([OTEL_COLLECTOR_ENDPOINT, OTLP_PROTOCOL]);

    // shutdown budget: preStop sleep + SHUTDOWN_TIMEOUT_MS within the grace period; both outlast the Kafka session
    const grace = Number(pod['terminationGracePeriodSeconds']);
    const preStop = list(obj(obj(obj(container['lifecycle'])['preStop'])['exec'])['command']);
    const preStopSeconds = preStop[0] === 'sleep' ? Number(preStop[1]) : 0;
    const sessionTimeoutS = Number(config['KAFKA_SESSION_TIMEOUT_MS']) / 1000;
    expect(data['KAFKA_SESSION_TIMEOUT_MS']).toBeDefined();
    expect(data['SAGA_LEASE_MS']).toBeDefined();
    expect(grace).toBeGreaterThanOrEqual(MIN_GRACE_S);
    expect(grace).toBeGreaterThan(sessionTimeoutS);
    expect(Number(config['SHUTDOWN_TIMEOUT_MS']) / 1000).toBeGreaterThan(sessionTimeoutS);
    expect(preStopSeconds + Number(config['SHUTDOWN_TIMEOUT_MS']) / 1000).toBeLessThan(grace);

    // resources
    const resources = obj(container['resources']);
    expect(obj(resources['requests'])).toEqual(expect.objectContaining({ cpu: expect.anything(), memory: expect.anything() }));
    expect(obj(resources['limits'])['memory']).toBeDefined();

    // security
    const podSecurity = obj(pod['securityContext']);
    const containerSecurity = obj(container['securityContext']);
    expect(podSecurity['runAsNonRoot']).toBe(true);
    expect(Number(podSecurity['runAsUser'])).toBeGreaterThan(0);
    expect(obj(podSecurity['seccompProfile'])['type']).toBe('RuntimeDefault');
    expect(containerSecurity).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(pod['automountServiceAccountToken']).toBe(false);
    const tmp = list(container['volumeMounts']).map(obj).find((m) => m['mountPath'] === '/tmp');
    expect(list(pod['volumes']).map(obj).find((v) => v['name'] === tmp?.['name'])?.['emptyDir']).toBeDefined();

    // metrics
    expect(obj(obj(template['metadata'])['annotations'])).toEqual({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(s.port), 'prometheus.io/path': '/metrics' });

    // image
    expect(imageName(String(container['image']))).toBe(expected.prod ? 'registry.example.com/jpki/platform' : 'jpki-platform');
    expect(String(container['image'])).toMatch(/:[\w.-]+$/);

    // Service in front of it
    const svc = named(rendered, 'Service', identity) as K8sObject;
    const svcSpec = obj(svc['spec']);
    expect(selects(obj(svcSpec['selector']), podLabels)).toBe(true);
    expect(list(svcSpec['ports']).map(obj)).toEqual([expect.objectContaining({ port: s.port, targetPort: port['name'] })]);
  });

  it('denies all traffic by default and opens, per service, Kafka, the pooler, Prometheus and the HTTP paths drawn', () => {
    const policies = byKind(rendered, 'NetworkPolicy');
    const deny = named(rendered, 'NetworkPolicy', 'default-deny') as K8sObject;
    expect(obj(deny['spec'])).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'], ingress: [], egress: [] });
    expect(String(obj(generatedConfigMap(rendered, 'jpki-platform')?.['data'])['KAFKA_BROKERS']).split(',').map((b) => Number(b.split(':')[1]))).toEqual([KAFKA_CLIENT_PORT]);
    const podLabelsOf = (identity: string) => obj(obj(obj(obj(named(rendered, 'Deployment', identity)?.['spec'])['template'])['metadata'])['labels']) as Record<string, Json>;
    const rulesFor = (identity: string, direction: 'ingress' | 'egress') =>
      policies.filter((p) => selects(obj(obj(obj(p['spec'])['podSelector'])['matchLabels']), podLabelsOf(identity)) || Object.keys(obj(obj(p['spec'])['podSelector'])).length === 0).flatMap((p) => list(obj(p['spec'])[direction]).map(obj));
    const kafkaPod = { 'strimzi.io/cluster': kafka.metadata.name };
    for (const s of SERVICE_INSTANCES) {
      const egress = rulesFor(s.identity, 'egress');
      const ingress = rulesFor(s.identity, 'ingress');
      const reaches = (labels: Record<string, Json>, port: number) => egress.some((r) => admits(list(r['to']), { labels }) && list(r['ports']).some((p) => obj(p)['port'] === port));
      expect({ s: s.identity, kafka: reaches(kafkaPod, KAFKA_CLIENT_PORT) }).toEqual({ s: s.identity, kafka: true });
      expect({ s: s.identity, pooler: reaches({ 'cnpg.io/poolerName': 'jpki-pg-pooler-rw' }, 5432) }).toEqual({ s: s.identity, pooler: true });
      // The OpenTelemetry Collector of the tracing component, on its OTLP/HTTP port (open in every overlay; used when traces are on).
      const collector = egress.some((r) => admits(list(r['to']), { namespace: OTEL_COLLECTOR.namespace }) && list(r['ports']).some((p) => obj(p)['port'] === OTEL_COLLECTOR.port));
      expect({ s: s.identity, collector }).toEqual({ s: s.identity, collector: true });
      expect({ s: s.identity, prometheus: ingress.some((r) => admits(list(r['from']), { namespace: PLATFORM_NAMESPACES.prometheus })) }).toEqual({ s: s.identity, prometheus: true });
      // HTTP between services: exactly the callees its settings name, both ways.
      for (const other of SERVICE_INSTANCES.filter((o) => o !== s)) {
        const drawn = httpCallees(s).includes(other);
        expect({ from: s.identity, to: other.identity, egress: reaches(podLabelsOf(other.identity), other.port) }).toEqual({ from: s.identity, to: other.identity, egress: drawn });
        const admitted = rulesFor(other.identity, 'ingress').some((r) => admits(list(r['from']), { labels: podLabelsOf(s.identity) }));
        expect({ from: s.identity, to: other.identity, ingress: admitted }).toEqual({ from: s.identity, to: other.identity, ingress: drawn });
      }
      const fromGateway = ingress.some((r) => admits(list(r['from']), { namespace: PLATFORM_NAMESPACES.gateway }));
      expect({ s: s.identity, fromGateway }).toEqual({ s: s.identity, fromGateway: PUBLIC_SERVICES.includes(s.identity) });
    }
  });

  it('points the relying parties at the CA through its Service', () => {
    const url = new URL(JPKI_CA_URL);
    const ca = named(rendered, 'Service', url.hostname) as K8sObject;
    expect(list(obj(ca['spec'])['ports']).map((p) => obj(p)['port'])).toContain(Number(url.port));
    const users = SERVICE_INSTANCES.filter((s) => s.settings?.['JPKI_CA_URL']);
    expect(users.map((s) => s.identity).sort()).toEqual(['rp-bank', 'rp-eapplication', 'rp-ticketing']);
  });

  it('gives every service a PostgreSQL role of its own, named like its schema, reached through the session-mode Pooler', () => {
    const spec = obj(cluster['spec']);
    const roles = list(obj(spec['managed'])['roles']).map(obj);
    // And the operator tools' role (operator-tools.spec.ts checks what it may do).
    expect(roles.map((r) => r['name']).sort()).toEqual([...SERVICE_INSTANCES.map((s) => s.schema), OPS_DB_ROLE].sort());
    for (const s of SERVICE_INSTANCES) {
      const role = roles.find((r) => r['name'] === dbRoleOf(s)) ?? {};
      expect(role).toMatchObject({ login: true, ensure: 'present', passwordSecret: { name: dbSecretOf(s.identity) } });
      // No role is a superuser, owns the database or may create roles: rights come from owning its schema.
      for (const right of ['superuser', 'createdb', 'createrole', 'replication', 'bypassrls']) expect({ role: role['name'], right, value: role[right] ?? false }).toEqual({ role: role['name'], right, value: false });
      const data = databaseSecretData(keys, s.identity);
      const url = new URL(data['uri']);
      expect([url.username, url.password, url.hostname, url.pathname]).toEqual([data['username'], data['password'], PG_POOLER, `/${PG_DATABASE}`]);
      expect(data['username']).toBe(dbRoleOf(s));
    }
    // At bootstrap (before CNPG creates the managed roles): the operator tools' role and its ledger schema, then every
    // service's schema, owned by its role, so that no role can create another's first; no service role may create schemas;
    // the operator tools' role may read each service's tables, nothing more (libs/service-kit/src/test/database-roles.int-spec.ts
    // runs these statements on PostgreSQL and the services' migrations as those roles).
    const initdb = obj(obj(spec['bootstrap'])['initdb']);
    expect(list(initdb['postInitApplicationSQL'])).toEqual([
      `CREATE ROLE ${OPS_DB_ROLE} NOLOGIN`,
      `CREATE SCHEMA ${OPS_DB_SCHEMA} AUTHORIZATION ${OPS_DB_ROLE}`,
      ...SERVICE_INSTANCES.flatMap((s) => [
        `CREATE ROLE ${dbRoleOf(s)} NOLOGIN`,
        `CREATE SCHEMA ${s.schema} AUTHORIZATION ${dbRoleOf(s)}`,
        `GRANT USAGE ON SCHEMA ${s.schema} TO ${OPS_DB_ROLE}`,
        `ALTER DEFAULT PRIVILEGES FOR ROLE ${dbRoleOf(s)} IN SCHEMA ${s.schema} GRANT SELECT ON TABLES TO ${OPS_DB_ROLE}`,
      ]),
    ]);
    for (const r of roles) expect({ role: r['name'], inRoles: r['inRoles'] }).toEqual({ role: r['name'], inRoles: undefined });
    const pooler = named(rendered, 'Pooler', PG_POOLER) as K8sObject;
    expect(obj(pooler['spec'])).toMatchObject({ cluster: { name: PG_CLUSTER }, type: 'rw', pgbouncer: { poolMode: 'session' } });
    expect(generatedSecrets.get(dbSecretOf('sp-tsm'))).toEqual(databaseSecretData(keys, 'sp-tsm'));
  });

  it('gives PostgreSQL enough connections for every pod at its maximum count, plus one surge pod per Deployment', () => {
    const maxPods = deployments.map((d) => {
      const scaler = scalerOf(rendered, d);
      const surge = Number(obj(obj(obj(d['spec'])['strategy'])['rollingUpdate'])['maxSurge'] ?? 1);
      return Number(scaler ? obj(scaler['spec'])['maxReplicaCount'] : obj(d['spec'])['replicas']) + surge;
    });
    const needed = maxPods.reduce((a, b) => a + b, 0) * DB_CONNECTIONS_PER_POD;
    expect(Number(obj(obj(obj(cluster['spec'])['postgresql'])['parameters'])['max_connections'])).toBeGreaterThanOrEqual(needed);
  });

  it('references only ConfigMaps it renders and Secrets that generate-keys, CNPG or Strimzi (a KafkaUser\'s) create', () => {
    const kafkaUserSecrets = byKind(rendered, 'KafkaUser').map((u) => u.metadata.name);
    for (const dep of deployments) {
      for (const c of containersOf(dep)) {
        for (const e of list(c['envFrom']).map(obj)) {
          const cm = str(obj(e['configMapRef'])['name']);
          const secret = str(obj(e['secretRef'])['name']);
          if (cm) expect(configMaps.map((m) => m.metadata.name)).toContain(cm);
          if (secret) expect([...generatedSecrets.keys()]).toContain(secret);
        }
        for (const e of list(c['env']).map(obj)) {
          const ref = str(obj(obj(e['valueFrom'])['secretKeyRef'])['name']);
          if (ref) expect([...generatedSecrets.keys(), ...kafkaUserSecrets]).toContain(ref);
        }
      }
    }
  });

  if (!expected.prod) {
    it('runs one of everything', () => {
      for (const d of deployments) expect(`${d.metadata.name}:${obj(d['spec'])['replicas']}`).toBe(`${d.metadata.name}:1`);
      expect(obj(cluster['spec'])['instances']).toBe(1);
      expect(obj(nodePool['spec'])['replicas']).toBe(1);
      expect(byKind(rendered, 'ScaledObject')).toEqual([]);
    });
    return;
  }

  /** spec.replicas, or the ScaledObject's minReplicaCount where KEDA owns the size. */
  const replicasOf = (d: K8sObject): number => {
    const scaler = scalerOf(rendered, d);
    return Number(scaler ? obj(scaler['spec'])['minReplicaCount'] : obj(d['spec'])['replicas']);
  };

  it('runs 2–3 replicas of every service, 3 PostgreSQL instances and 3 Kafka nodes with RF 3', () => {
    for (const d of deployments) expect(replicasOf(d)).toBeGreaterThanOrEqual(2);
    for (const d of deployments) expect(replicasOf(d)).toBeLessThanOrEqual(3);
    expect(obj(cluster['spec'])['instances']).toBe(3);
    expect(obj(nodePool['spec'])['replicas']).toBe(3);
    const config = obj(obj(obj(kafka['spec'])['kafka'])['config']);
    expect(config['default.replication.factor']).toBe(3);
    expect(config['min.insync.replicas']).toBe(2);
    expect(new Set(byKind(rendered, 'KafkaTopic').map((t) => obj(t['spec'])['replicas']))).toEqual(new Set([3]));
  });

  it('backs PostgreSQL up: WAL archived to an object store, a nightly base backup, two pooler pods', () => {
    const backup = obj(obj(cluster['spec'])['backup']);
    expect(String(obj(backup['barmanObjectStore'])['destinationPath'])).toMatch(/^s3:\/\//);
    expect(backup['retentionPolicy']).toMatch(/^\d+d$/);
    const [scheduled, ...others] = byKind(rendered, 'ScheduledBackup');
    expect(others).toEqual([]);
    expect(obj(scheduled['spec'])).toMatchObject({ cluster: { name: cluster.metadata.name }, method: 'barmanObjectStore' });
    expect(String(obj(scheduled['spec'])['schedule']).split(' ')).toHaveLength(6);
    expect(obj(named(rendered, 'Pooler', PG_POOLER)?.['spec'])['instances']).toBe(2);
  });

  it('spreads the pods of every Deployment and of the Pooler over nodes', () => {
    // CNPG labels the Pooler's pods with cnpg.io/poolerName, besides the labels of its template.
    const pooler = named(rendered, 'Pooler', PG_POOLER) as K8sObject;
    const workloads = [
      ...deployments.map((d) => ({ name: `Deployment/${d.metadata.name}`, template: obj(obj(d['spec'])['template']), podLabels: {} as Record<string, Json> })),
      { name: `Pooler/${PG_POOLER}`, template: obj(obj(pooler['spec'])['template']), podLabels: { 'cnpg.io/poolerName': PG_POOLER } as Record<string, Json> },
    ];
    expect(workloads).toHaveLength(SERVICE_INSTANCES.length + 1);
    for (const w of workloads) {
      const labels = { ...obj(obj(w.template['metadata'])['labels']), ...w.podLabels };
      const spread = list(obj(w.template['spec'])['topologySpreadConstraints'])
        .map(obj)
        .filter((c) => c['topologyKey'] === 'kubernetes.io/hostname' && Number(c['maxSkew']) >= 1 && selects(obj(obj(c['labelSelector'])['matchLabels']), labels));
      expect({ workload: w.name, spreadOverNodes: spread.length }).toEqual({ workload: w.name, spreadOverNodes: 1 });
    }
  });

  it('has a PodDisruptionBudget selecting exactly each Deployment', () => {
    const pdbs = byKind(rendered, 'PodDisruptionBudget');
    expect(pdbs).toHaveLength(deployments.length);
    for (const d of deployments) {
      const podLabels = obj(obj(obj(obj(d['spec'])['template'])['metadata'])['labels']);
      const covering = pdbs.filter((p) => selects(obj(obj(obj(p['spec'])['selector'])['matchLabels']), podLabels));
      expect({ deployment: d.metadata.name, pdbs: covering.map((p) => p.metadata.name) }).toEqual({ deployment: d.metadata.name, pdbs: [d.metadata.name] });
      expect(Number(obj(covering[0]['spec'])['minAvailable'])).toBeLessThan(replicasOf(d));
    }
  });

  it('autoscales the stateless services with KEDA on the lag of the consumer groups they really use, and CPU; not vsim', () => {
    expect(readFileSync(SCALED_OBJECTS_FILE, 'utf8')).toBe(renderScaledObjects());
    expect(byKind(rendered, 'HorizontalPodAutoscaler')).toEqual([]);
    const scalers = byKind(rendered, 'ScaledObject');
    expect(SERVICE_INSTANCES.find((s) => s.identity === 'vsim')?.autoscaled).toBe(false);
    expect(scalers.map((h) => h.metadata.name).sort()).toEqual(SERVICE_INSTANCES.filter((s) => s.autoscaled).map((s) => s.identity).sort());
    const platform = obj(generatedConfigMap(rendered, 'jpki-platform')?.['data']);
    expect(platform['KAFKA_TOPIC_PREFIX']).toBe('');
    const topics = new Map(byKind(rendered, 'KafkaTopic').map((t) => [String(obj(t['spec'])['topicName']), Number(obj(t['spec'])['partitions'])]));
    for (const h of scalers) {
      const spec = obj(h['spec']);
      const dep = named(rendered, 'Deployment', String(obj(spec['scaleTargetRef'])['name']));
      expect(dep).toBeDefined();
      // KEDA owns the size: a replica count in the manifest would be reset on every apply.
      expect(obj(dep?.['spec'])['replicas']).toBeUndefined();
      expect(Number(spec['minReplicaCount'])).toBeGreaterThanOrEqual(2);
      expect(Number(spec['maxReplicaCount'])).toBeLessThanOrEqual(maxPartitions);
      const triggers = list(spec['triggers']).map(obj);
      const kafkaTriggers = triggers.filter((t) => t['type'] === 'kafka').map((t) => obj(t['metadata']));
      // Groups as libs/messaging names them (KAFKA_CONSUMER_GROUP is not overridden), topics that exist, every consumed topic covered.
      expect(String(platform['KAFKA_CONSUMER_GROUP'] ?? '')).toBe('');
      expect(new Set(kafkaTriggers.map((t) => t['consumerGroup']))).toEqual(new Set(consumedTopics(h.metadata.name).length ? [h.metadata.name, `${h.metadata.name}.retry`] : []));
      for (const t of kafkaTriggers) {
        expect({ topic: t['topic'], exists: topics.has(String(t['topic'])) }).toEqual({ topic: t['topic'], exists: true });
        expect(t['bootstrapServers']).toBe(platform['KAFKA_BROKERS']);
        expect(Number(spec['maxReplicaCount'])).toBeGreaterThanOrEqual(topics.get(String(t['topic'])) ?? 0);
      }
      expect(kafkaTriggers.filter((t) => t['consumerGroup'] === h.metadata.name).map((t) => t['topic']).sort()).toEqual(consumedTopics(h.metadata.name).sort());
      expect(triggers.filter((t) => t['type'] === 'cpu')).toHaveLength(1);
    }
    expect(consumedTopics('sp-tsm')).toEqual(expect.arrayContaining(['sptsm.commands', 'ca.events', 'mno.kddi.events']));
    expect(consumedTopics('rp-ticketing')).toEqual([]);
    expect(consumedTopics('rp-eapplication')).toEqual([]);
  });

  it('routes only the CA\'s certificate URLs and the relying parties\' user paths through the Gateway', () => {
    const [gateway] = byKind(rendered, 'Gateway');
    const routes = byKind(rendered, 'HTTPRoute');
    const listeners = list(obj(gateway['spec'])['listeners']).map(obj);
    const base = new URL(String(obj(generatedConfigMap(rendered, 'jpki-ca')?.['data'])['PUBLIC_BASE_URL']));
    const routed = (host: string, method: string, path: string) =>
      routes.filter((r) => list(obj(r['spec'])['hostnames']).includes(host)).flatMap((r) => list(obj(r['spec'])['rules']).map(obj)).filter((rule) =>
        list(rule['matches']).map(obj).some((m) => (m['method'] ?? method) === method && pathMatches(m, path)),
      );
    // Every URL jpki-ca writes into certificates (apps/jpki-ca/src/urls.ts) reaches jpki-ca, on the listener of PUBLIC_BASE_URL's host.
    expect(listeners.find((l) => l['hostname'] === base.hostname)?.['protocol']).toBe(base.protocol === 'https:' ? 'HTTPS' : 'HTTP');
    for (const [method, path] of [['GET', '/ca'], ['GET', '/ca/user-authentication.der'], ['GET', '/crl/user-authentication.crl'], ['GET', '/crl/root-delta.crl'], ['POST', '/ocsp'], ['GET', '/ocsp/MEUwQzBB']]) {
      const rules = routed(base.hostname, method, `${base.pathname.replace(/\/$/, '')}${path}`);
      expect({ method, path, backends: rules.flatMap((r) => list(r['backendRefs']).map((b) => obj(b)['name'])) }).toEqual({ method, path, backends: ['jpki-ca'] });
    }
    for (const [method, path] of [['GET', '/certificates/01'], ['GET', '/audit'], ['POST', '/citizens'], ['GET', '/metrics'], ['GET', '/health/ready'], ['POST', '/ca'], ['GET', '/cab']]) {
      expect({ method, path, rules: routed(base.hostname, method, path).length }).toEqual({ method, path, rules: 0 });
    }
    // Backends are the public services, on their catalogue port.
    const backends = routes.flatMap((r) => list(obj(r['spec'])['rules']).flatMap((rule) => list(obj(rule)['backendRefs']).map(obj)));
    for (const b of backends) expect({ name: b['name'], port: b['port'] }).toEqual({ name: b['name'], port: instanceOf(String(b['name'])).port });
    expect([...new Set(backends.map((b) => b['name']))].sort()).toEqual([...PUBLIC_SERVICES].sort());
    for (const r of routes) for (const p of list(obj(r['spec'])['parentRefs']).map(obj)) expect(listeners.map((l) => l['name'])).toContain(p['sectionName']);
  });

  it('alerts and charts on metrics that exist: the services\', the Kafka Exporter\'s and the CNPG outbox query\'s', () => {
    const rules = byKind(rendered, 'PrometheusRule').flatMap((r) => list(obj(r['spec'])['groups']).flatMap((g) => list(obj(g)['rules']).map(obj)));
    expect(rules.map((r) => r['alert']).sort()).toEqual(['ConsumerLagHigh', 'DeadLetterTopicGrowing', 'OcspSlow', 'OutboxBacklog', 'SagaStepFailures', 'SagasFailing']);
    const dashboards = configMaps.filter((c) => obj(c.metadata.labels as Json)['grafana_dashboard'] === '1');
    expect(dashboards).toHaveLength(1);
    const dashboard = JSON.parse(String(Object.values(obj(dashboards[0]['data']))[0])) as { panels: { targets: { expr: string }[] }[] };
    const exprs = [...rules.map((r) => String(r['expr'])), ...dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr))];
    // The CNPG exporter runs the custom queries of the ConfigMap the Cluster names; a query's metrics are cnpg_<query>_<column>.
    const [queriesRef] = list(obj(obj(cluster['spec'])['monitoring'])['customQueriesConfigMap']).map(obj);
    const queries = parse(String(obj(named(rendered, 'ConfigMap', String(queriesRef['name']))?.['data'])[String(queriesRef['key'])])) as Json;
    const custom = Object.entries(obj(queries)).flatMap(([query, q]) =>
      list(obj(q)['metrics']).flatMap((m) => Object.entries(obj(m)).filter(([, d]) => obj(d)['usage'] !== 'LABEL').map(([column]) => `cnpg_${query}_${column}`)),
    );
    const known = new Set([...serviceMetricNames(), ...KAFKA_EXPORTER_METRICS, ...custom]);
    // Metric names: identifiers outside label matchers, ranges and by/without lists that are not function calls.
    const used = exprs.flatMap((e) => e.replace(/\{[^}]*\}|\[[^\]]*\]|\b(by|without|ignoring|on)\s*\([^)]*\)|\bgroup_(left|right)\b/g, '').match(/\b[a-z_][a-z0-9_]*\b(?!\s*\()/g) ?? []);
    expect(used).toEqual(expect.arrayContaining(['saga_steps_total', 'ca_ocsp_response_seconds_bucket', 'cnpg_jpki_outbox_oldest_pending_seconds', 'kafka_topic_partition_current_offset']));
    for (const metric of used) expect({ metric, known: known.has(metric) }).toEqual({ metric, known: true });
  });

  it('alerts on every saga metric the services export (step runs and sagas ended)', () => {
    const exprs = byKind(rendered, 'PrometheusRule').flatMap((r) => list(obj(r['spec'])['groups']).flatMap((g) => list(obj(g)['rules']).map((rule) => String(obj(rule)['expr'] ?? ''))));
    const sagaMetrics = [...new Set(serviceMetricNames().filter((m) => m.startsWith('saga_')).map((m) => m.replace(/_(bucket|count|sum)$/, '')))];
    expect(sagaMetrics).toEqual(expect.arrayContaining(['saga_steps_total', 'saga_ended_total']));
    for (const metric of sagaMetrics) expect({ metric, alerted: exprs.some((e) => new RegExp(`\\b${metric}(_bucket|_count|_sum)?\\b`).test(e)) }).toEqual({ metric, alerted: true });
  });

  it('scrapes the services through a PodMonitor and Kafka consumer lag through the Kafka Exporter', () => {
    const [monitor] = byKind(rendered, 'PodMonitor');
    const selector = obj(obj(obj(monitor['spec'])['selector'])['matchLabels']);
    for (const d of deployments) expect(selects(selector, obj(obj(obj(obj(d['spec'])['template'])['metadata'])['labels']))).toBe(true);
    expect(obj(kafka['spec'])['kafkaExporter']).toBeDefined();
  });
});

describe('docker-compose.yml', () => {
  const compose = obj(parseYamlFile(COMPOSE, { merge: true })[0]);
  const services = obj(compose['services']);
  const text = readFileSync(COMPOSE, 'utf8');

  it('runs Kafka, PostgreSQL, the SCRAM-user and topic jobs and every service instance', () => {
    expect(Object.keys(services).sort()).toEqual(['kafka', 'kafka-users', 'postgres', 'topics', ...SERVICE_INSTANCES.map((s) => s.identity)].sort());
  });

  it('runs Apache Kafka 4.1.1 in KRaft mode with topic auto-creation disabled', () => {
    const kafka = obj(services['kafka']);
    const env = obj(kafka['environment']);
    expect(kafka['image']).toBe('apache/kafka:4.1.1');
    expect(env['KAFKA_PROCESS_ROLES']).toBe('broker,controller');
    expect(String(env['KAFKA_AUTO_CREATE_TOPICS_ENABLE'])).toBe('false');
    expect(obj(kafka['healthcheck'])['test']).toBeDefined();
    expect(String(obj(services['postgres'])['image'])).toMatch(/^postgres:16/);
  });

  it('creates topics with the contracts bootstrap script, then sets their retention, before any service starts', () => {
    const topics = obj(services['topics']);
    const command = list(topics['command']).join(' ');
    // The image holds the compiled scripts (tools/build/build.js builds them next to the services).
    expect(command.indexOf('node tools/kafka/create-topics.js &&')).toBeGreaterThanOrEqual(0);
    expect(command.indexOf('node tools/deploy/configure-topics.js')).toBeGreaterThan(command.indexOf('tools/kafka/create-topics.js'));
    for (const script of ['tools/kafka/create-topics.ts', 'tools/deploy/configure-topics.ts']) expect(existsSync(join(ROOT, script))).toBe(true);
    expect(readFileSync(join(ROOT, 'tools/build/build.js'), 'utf8')).toMatch(/'tools\/deploy\/configure-topics\.ts', 'tools\/kafka\/create-topics\.ts'/);
    // As the admin, once the SCRAM users exist (compose-kafka.spec.ts checks the authentication).
    expect(obj(topics['depends_on'])).toEqual({ kafka: { condition: 'service_healthy' }, 'kafka-users': { condition: 'service_completed_successfully' } });
  });

  it.each(SERVICE_INSTANCES.map((s) => s.identity))('%s: env, port, health check and start order', (identity) => {
    const s = instanceOf(identity);
    const svc = obj(services[identity]);
    const env = obj(svc['environment']);
    expect(env['APP']).toBe(s.app);
    expect(String(env['HTTP_PORT'])).toBe(String(s.port));
    expect(env['DB_SCHEMA']).toBe(s.schema);
    expect(env['CARRIER']).toBe(s.carrier);
    expect(String(env['KAFKA_BROKERS'])).toBe('kafka:19092');
    // Its own Kafka principal, its password from .env (the kafka-users job creates the same user with it).
    expect([env['KAFKA_SASL_MECHANISM'], env['KAFKA_SASL_USERNAME'], env['KAFKA_SASL_PASSWORD']]).toEqual(['scram-sha-512', identity, `\${${kafkaPasswordVariable(identity)}:?generate .env first, see deploy/README.md}`]);
    for (const k of Object.keys(serviceSecretEnv(keys, identity))) expect(String(env[k])).toContain(`\${${envPrefixOf(identity)}_${k}:?`);
    for (const k of Object.keys(trustEnv(keys))) expect(String(env[k])).toContain(`\${${k}:?`);
    expect(list(svc['ports'])).toEqual([`${s.port}:${s.port}`]);
    expect(list(obj(svc['healthcheck'])['test']).join(' ')).toContain('healthcheck.js ready');
    expect(obj(svc['depends_on'])).toEqual({
      kafka: { condition: 'service_healthy' },
      postgres: { condition: 'service_healthy' },
      topics: { condition: 'service_completed_successfully' },
    });
    expect(svc['image']).toBe(obj(services['topics'])['image']);

    // with the generated .env substituted, the environment passes the app's own config schema
    const produced = envFileVariables(keys);
    const substituted = Object.fromEntries(
      Object.entries(env).map(([k, v]) => [
        k,
        String(v).replace(/\$\{([A-Z0-9_]+)(?::([-?])([^}]*))?\}/g, (_, name: string, op?: string, arg?: string) => produced[name] ?? (op === '-' ? (arg ?? '') : '')),
      ]),
    );
    checkEnvironment(s, { ...IMAGE_ENV, ...substituted }, `compose/${identity}`);
  });

  it('sets the same shutdown and failover timings as the Kubernetes platform ConfigMap', () => {
    const data = parseEnvFile(join(DEPLOY, 'base/platform/config.env'));
    const shared = obj(obj(compose['x-service-env']));
    for (const k of ['SHUTDOWN_TIMEOUT_MS', 'KAFKA_SESSION_TIMEOUT_MS', 'SAGA_LEASE_MS']) expect({ k, compose: String(shared[k]) }).toEqual({ k, compose: data[k] });
    // stop_grace_period ≥ the SIGTERM drain, as terminationGracePeriodSeconds on Kubernetes
    const grace = Number(String(obj(compose['x-service'])['stop_grace_period']).replace(/s$/, ''));
    expect(grace * 1000).toBeGreaterThan(Number(shared['SHUTDOWN_TIMEOUT_MS']));
  });

  it('every ${VAR} it needs is produced by generate-keys --format env or has a default', () => {
    const produced = new Set(Object.keys(envFileVariables(keys)));
    // `$${…}` is the containers' shell's, not compose's.
    const refs = [...text.matchAll(/(?<!\$)\$\{([A-Z0-9_]+)(:?[-?][^}]*)?\}/g)];
    expect(refs.length).toBeGreaterThan(0);
    for (const [, name, modifier] of refs) {
      const ok = produced.has(name) || (modifier ?? '').startsWith(':-');
      expect({ variable: name, ok }).toEqual({ variable: name, ok: true });
    }
  });
});

describe('image', () => {
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  const dockerignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim());

  it('builds from the lockfile on node:20-bookworm-slim and runs any app as non-root under tini', () => {
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:20-bookworm-slim$/m);
    expect(dockerfile).toMatch(/^FROM \$\{NODE_IMAGE\} AS deps$/m);
    expect(dockerfile).toMatch(/COPY package\.json package-lock\.json/);
    expect(dockerfile).toMatch(/npm ci\b/);
    expect(dockerfile).toMatch(/^USER 1000:1000$/m);
    expect(dockerfile).toMatch(/NODE_ENV=production/);
    expect(dockerfile).toMatch(/^ENTRYPOINT \["\/usr\/bin\/tini", "--"\]$/m);
    expect(dockerfile).toMatch(/exec node \\"apps\/\$\{APP[^"]*\}\/src\/main\.js\\"/);
    expect(dockerfile).toMatch(/HEALTHCHECK[\s\S]*tools\/deploy\/healthcheck\.js", "live"/);
    expect(existsSync(join(ROOT, 'tools/deploy/healthcheck.js'))).toBe(true);
    // Everything the services and the deploy tools load at runtime is copied into the image.
    for (const dir of ['libs', 'apps', 'tools', 'deploy/src']) expect(dockerfile).toContain(`COPY ${dir} ./${dir}`);
    for (const s of SERVICE_INSTANCES) expect(dockerfile).toMatch(new RegExp(`^EXPOSE .*\\b${s.port}\\b`, 'm'));
    for (const env of Object.entries(IMAGE_ENV).map(([k, v]) => `${k}=${v}`)) expect(dockerfile).toContain(env);
  });

  it('builds the services to JavaScript in a build stage and ships only the output and production dependencies', () => {
    const stages = dockerfile.split(/^FROM /m).slice(1);
    const stage = (name: string) => stages.find((s) => s.startsWith(`\${NODE_IMAGE} AS ${name}`)) ?? '';
    expect(stage('build')).toMatch(/npm ci --ignore-scripts/);
    // Dev dependencies too: the build tools, and the console web app's (Vite, React, Mantine) for whoever builds it there.
    expect(stage('build')).not.toMatch(/--omit|--only|--production/);
    expect(stage('build')).toMatch(/^RUN node tools\/build\/build\.js$/m);
    expect(stage('deps')).toMatch(/npm ci --omit=dev --ignore-scripts/);
    const runtime = stage('runtime');
    expect(runtime).toContain('COPY --from=deps /app/node_modules ./node_modules');
    expect(runtime).toContain('COPY --from=build /app/dist/node ./');
    // No sources and no TypeScript loader in the runtime stage.
    expect(runtime).not.toMatch(/^COPY (libs|apps|tools) /m);
    expect(runtime).not.toMatch(/swc-node|\.ts\b/);
  });

  /** package.json and the lockfile's package entries (`dev`: skipped by `npm ci --omit=dev`). */
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
  type LockPackage = { dev?: boolean; dependencies?: Record<string, string> };
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockPackage> };
  const nameOf = (path: string) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
  // npm ci --omit=dev skips what the lockfile marks `dev`; `devOptional` (a dev dependency that a production package
  // also takes as an optional or optional peer dependency) is installed.
  const omitDev = Object.entries(lock.packages).filter(([path, p]) => path.startsWith('node_modules/') && !p.dev);
  const installed = new Set(omitDev.map(([path]) => nameOf(path)));

  it('production dependencies (what `npm ci --omit=dev` installs from the lockfile) hold no build or test tool', () => {
    expect(installed.size).toBeGreaterThan(50);
    for (const tool of ['typescript', '@swc-node/register', '@swc/core', '@swc/jest', 'jest', 'nx', '@nx/js', 'eslint', 'vite', 'testcontainers', 'ts-node']) {
      expect({ tool, installed: installed.has(tool) }).toEqual({ tool, installed: false });
    }
    // What the compiled services require at runtime (tools/build/build.js also fails the build otherwise).
    for (const runtime of ['@nestjs/core', '@nestjs/platform-express', 'kafkajs', 'pg', 'typeorm', 'reflect-metadata', 'yaml']) expect(installed.has(runtime)).toBe(true);
  });

  it('installs no devDependency in the image: none is in the tree `npm ci --omit=dev` installs from the lockfile', () => {
    // A devDependency that a production package itself depends on is installed whatever package.json says. Tolerated
    // only for declaration-only @types packages (nothing of them runs): @opentelemetry/instrumentation-pg depends on
    // @types/pg, and @types/pg and protobufjs on @types/node. The devDependencies entries pin their versions for tsc.
    const requiredBy = (name: string) => omitDev.filter(([, p]) => p.dependencies && name in p.dependencies).map(([path]) => nameOf(path));
    const leaks = Object.keys(pkg.devDependencies)
      .filter((name) => installed.has(name))
      .map((name) => ({ name, requiredBy: requiredBy(name) }))
      .filter((l) => !(l.name.startsWith('@types/') && l.requiredBy.length > 0));
    expect(leaks).toEqual([]);
    // The console's web app (React, Mantine, recharts: bundled by Vite into static files) is build-time only.
    for (const web of ['react', 'react-dom', '@mantine/core', 'recharts', '@types/react']) expect({ web, installed: installed.has(web) }).toEqual({ web, installed: false });
  });

  it('has as production dependencies exactly what the image\'s code imports (the build stage installs the rest)', async () => {
    // The entry points tools/build/build.js compiles into the image, and the modules they reach (static imports, type-only
    // ones left out as the compiler leaves them out; @jpki/* through tsconfig.base.json's paths).
    const build = (await import(join(ROOT, 'tools/build/build.js'))) as { APPS: string[]; entriesOf: (name: string) => string[] };
    const entries = [...build.APPS, 'deploy-tools'].flatMap((name) => build.entriesOf(name));
    const aliases = (JSON.parse(readFileSync(join(ROOT, 'tsconfig.base.json'), 'utf8')) as { compilerOptions: { paths: Record<string, string[]> } }).compilerOptions.paths;
    const resolveModule = (from: string, spec: string) => {
      const base = spec.startsWith('.') ? resolve(ROOT, from, '..', spec) : join(ROOT, aliases[spec][0]);
      const file = [`${base}.ts`, join(base, 'index.ts'), base].find((f) => existsSync(f) && statSync(f).isFile());
      if (!file) throw new Error(`${from}: cannot resolve ${spec}`);
      return relative(ROOT, file);
    };
    const packages = new Map<string, string>();
    const seen = new Set(entries);
    for (const file of seen) {
      const source = readFileSync(join(ROOT, file), 'utf8');
      const imports = [
        ...[...source.matchAll(/^\s*(?:import|export)\s+(?!type\b)([^'";]*?)\s*from\s*'([^']+)'/gm)].filter(([, what]) => !/^\{(\s*type\s+[\w$]+(\s+as\s+[\w$]+)?\s*,?)*\s*\}$/.test(what)).map((m) => m[2]),
        ...[...source.matchAll(/^\s*import\s+'([^']+)'/gm)].map((m) => m[1]),
        ...[...source.matchAll(/\b(?:require|import)\(\s*'([^']+)'\s*\)/g)].map((m) => m[1]),
      ];
      for (const spec of imports) {
        if (spec.startsWith('node:')) continue;
        if (spec.startsWith('.') || spec in aliases) seen.add(resolveModule(file, spec));
        else packages.set(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0], file);
      }
    }
    expect(seen.size).toBeGreaterThan(100);
    const imported = [...packages.keys()];
    // @nestjs/core loads the HTTP adapter by name at run time (NestFactory.create), no source imports it.
    const loadedByName = ['@nestjs/platform-express'];
    expect(imported.filter((p) => p in pkg.devDependencies)).toEqual([]);
    expect(imported.filter((p) => !(p in pkg.dependencies))).toEqual([]);
    expect(Object.keys(pkg.dependencies).filter((p) => !packages.has(p) && !loadedByName.includes(p))).toEqual([]);
  });

  it('health check finds every service instance\'s default port', async () => {
    const { portOf } = (await import(join(ROOT, 'tools/deploy/healthcheck.js'))) as { portOf: (env: Record<string, string | undefined>) => number | undefined };
    for (const s of SERVICE_INSTANCES) expect({ id: s.identity, port: portOf({ APP: s.app, CARRIER: s.carrier }) }).toEqual({ id: s.identity, port: s.port });
    expect(portOf({ APP: 'vsim', HTTP_PORT: '9999' })).toBe('9999');
  });

  it('keeps dependencies, local state and secrets out of the build context', () => {
    for (const entry of ['node_modules', '.kafka', 'tmp', 'reports', '.git', '.nx', '.env', '.env.*']) expect(dockerignore).toContain(entry);
    for (const copied of ['libs', 'apps', 'tools', 'deploy', 'deploy/src', 'package-lock.json', 'tsconfig.json', 'tsconfig.base.json']) expect(dockerignore).not.toContain(copied);
  });
});

describe('generate-keys', () => {
  it('produces usable keys for every service instance', () => {
    expect(Object.keys(keys.services).sort()).toEqual(SERVICE_INSTANCES.map((s) => s.identity).sort());
    for (const [identity, k] of Object.entries(keys.services)) {
      expect(createPrivateKey({ key: Buffer.from(k.signingPkcs8, 'base64'), format: 'der', type: 'pkcs8' }).asymmetricKeyType).toBe('ed25519');
      expect(createPublicKey({ key: Buffer.from(k.signingSpki, 'base64'), format: 'der', type: 'spki' }).asymmetricKeyType).toBe('ed25519');
      expect(createPrivateKey({ key: Buffer.from(k.transportPkcs8, 'base64'), format: 'der', type: 'pkcs8' }).asymmetricKeyType).toBe('x25519');
      const [kekId, kek] = k.keyEncryptionKeys.split(':');
      expect(kekId).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(Buffer.from(kek, 'base64')).toHaveLength(32);
      const { carrier, isdKeyBytes } = instanceOf(identity);
      if (carrier) expect(isdKeyBytes).toBe(CARRIER_PROFILES[carrier].scp03KeyBytes);
      if (isdKeyBytes) expect(Buffer.from(k.isdMasterKey ?? '', 'hex')).toHaveLength(isdKeyBytes);
      else expect(k.isdMasterKey).toBeUndefined();
    }
  });

  it('trust lists name every service, and every key is fresh', () => {
    const trust = trustEnv(keys);
    for (const v of [trust['TRUSTED_PRODUCER_KEYS'], trust['TRANSPORT_PUBLIC_KEYS']]) {
      expect(v.split(',').map((e) => e.split('=')[0]).sort()).toEqual(SERVICE_INSTANCES.map((s) => s.identity).sort());
    }
    // The relying parties trust the CA's signed ca.events and are trusted themselves.
    for (const id of ['jpki-ca', 'rp-bank', 'rp-ticketing', 'rp-eapplication', 'lifecycle']) expect(trust['TRUSTED_PRODUCER_KEYS']).toContain(`${id}=${keys.services[id].signingSpki}`);
    const again = generateDeploymentKeys({ deviceAttestation: deviceAttestationVendor() });
    expect(again.services['sp-tsm'].signingPkcs8).not.toBe(keys.services['sp-tsm'].signingPkcs8);
    expect(again.deviceAttestation.roots).not.toBe(keys.deviceAttestation.roots);
  });

  it('creates a SIMULATED device-attestation vendor: jpki-ca trusts its root, the vendor file stays in a Secret no pod mounts', () => {
    const roots = keys.services['jpki-ca'].deviceAttestationRoots ?? '';
    const root = new X509Certificate(Buffer.from(roots, 'base64'));
    expect(root.ca).toBe(true);
    expect(root.verify(root.publicKey)).toBe(true);
    expect(root.subject).toContain('SIMULATED');
    // The vendor file (what apps/device reads with --vendor) holds that root, an intermediate it signed and the intermediate's key.
    const vendor = JSON.parse(keys.deviceAttestation.vendorJson) as { format: string; root: string; intermediate: string; intermediateKey: string };
    expect(vendor.format).toBe('jpki-sim-device-attestation-ca/1');
    expect(vendor.root).toBe(roots);
    const intermediate = new X509Certificate(Buffer.from(vendor.intermediate, 'base64'));
    expect(intermediate.verify(root.publicKey)).toBe(true);
    const key = createPrivateKey({ key: Buffer.from(vendor.intermediateKey, 'base64'), format: 'der', type: 'pkcs8' });
    expect(createPublicKey(key).export({ type: 'spki', format: 'der' }).equals(intermediate.publicKey.export({ type: 'spki', format: 'der' }))).toBe(true);
    expect(generatedSecrets.get(DEVICE_ATTESTATION_SECRET)).toEqual({ [DEVICE_ATTESTATION_VENDOR_FILE]: keys.deviceAttestation.vendorJson, DEVICE_ATTESTATION_ROOTS: roots });
    expect(Buffer.from(envFileVariables(keys)['DEVICE_ATTESTATION_VENDOR_B64'], 'base64').toString('utf8')).toBe(keys.deviceAttestation.vendorJson);
    // Only jpki-ca gets the root.
    for (const s of SERVICE_INSTANCES) expect({ id: s.identity, roots: 'DEVICE_ATTESTATION_ROOTS' in serviceSecretEnv(keys, s.identity) }).toEqual({ id: s.identity, roots: s.identity === 'jpki-ca' });
  });

  it('reuses an existing vendor file (--attestation-vendor) instead of creating one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'jpki-vendor-'));
    try {
      const file = join(dir, 'vendor.json');
      writeFileSync(file, keys.deviceAttestation.vendorJson);
      const reused = deviceAttestationVendor(file);
      expect(reused.roots).toBe(keys.deviceAttestation.roots);
      expect(JSON.parse(reused.vendorJson)).toEqual(JSON.parse(keys.deviceAttestation.vendorJson));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
