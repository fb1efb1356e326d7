/**
 * Every object every overlay renders is valid against the pinned Kubernetes and CRD schemas (deploy/schemas), and
 * the validator refuses what the API server would: unknown fields, wrong types, unknown kinds.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { render, type K8sObject } from './kustomize-lite';
import { loadSchemas } from './schemas';

const OVERLAYS = join(__dirname, '../overlays');
const validator = loadSchemas();
const overlays = readdirSync(OVERLAYS);

const deployment = (): K8sObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'x' },
  spec: {
    selector: { matchLabels: { app: 'x' } },
    strategy: { rollingUpdate: { maxSurge: 1, maxUnavailable: '25%' } },
    template: {
      metadata: { labels: { app: 'x' } },
      spec: { containers: [{ name: 'app', image: 'x:1', resources: { requests: { cpu: 1, memory: '1Gi' } } }] },
    },
  },
});

describe('pinned schemas', () => {
  it('cover the Kubernetes kinds and the CRDs of Strimzi, CloudNativePG, KEDA, the Prometheus Operator and the Gateway API', () => {
    for (const kind of [
      'apps/v1/Deployment',
      'networking.k8s.io/v1/NetworkPolicy',
      'kafka.strimzi.io/v1/Kafka',
      'kafka.strimzi.io/v1/KafkaTopic',
      'postgresql.cnpg.io/v1/Cluster',
      'postgresql.cnpg.io/v1/Pooler',
      'keda.sh/v1alpha1/ScaledObject',
      'monitoring.coreos.com/v1/PrometheusRule',
      'gateway.networking.k8s.io/v1/HTTPRoute',
    ]) {
      expect(validator.kinds).toContain(kind);
    }
  });

  it('accept a valid Deployment (int-or-string and quantities as numbers or strings)', () => {
    expect(validator.problems(deployment())).toBe('');
  });

  it('refuse a misplaced field, a wrong type, a missing required field and an unknown kind', () => {
    const misplaced = deployment();
    (misplaced['spec'] as { template: { spec: { containers: Record<string, unknown>[] } } }).template.spec.containers[0]['replica'] = 2;
    expect(validator.problems(misplaced)).toContain('must NOT have additional properties (replica)');

    const wrongType = deployment();
    (wrongType['spec'] as Record<string, unknown>)['replicas'] = 'two';
    expect(validator.problems(wrongType)).toContain('/spec/replicas must be integer');

    const noImage = deployment();
    (noImage['spec'] as { template: { spec: { containers: Record<string, unknown>[] } } }).template.spec.containers = [{ image: 'x:1' }];
    expect(validator.problems(noImage)).toContain("must have required property 'name'");

    const crd: K8sObject = { apiVersion: 'kafka.strimzi.io/v1', kind: 'KafkaTopic', metadata: { name: 't' }, spec: { partitions: 6, replica: 3 } };
    expect(validator.problems(crd)).toContain('(replica)');

    expect(validator.problems({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } })).toBe('example.com/v1/Widget: no pinned schema');
  });

  it('finds the three overlays', () => {
    expect(overlays.sort()).toEqual(['ci', 'dev', 'prod']);
  });

  // Each overlay as committed, and prod with its optional tracing component switched on.
  const renders: [string, string, string[]][] = [...overlays.map((o): [string, string, string[]] => [o, o, []]), ['prod+tracing', 'prod', ['../../components/tracing']]];

  it.each(renders)('overlay %s: every rendered object is valid against its pinned schema', (_name, overlay, components) => {
    const objects = render(join(OVERLAYS, overlay), { components });
    expect(objects.length).toBeGreaterThan(50);
    const invalid = objects.map((o) => ({ object: `${o.kind}/${o.metadata.name}`, problems: validator.problems(o) })).filter((r) => r.problems);
    expect(invalid).toEqual([]);
  });
});
