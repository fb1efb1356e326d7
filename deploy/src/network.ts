/**
 * NetworkPolicies of the namespace, generated from the service catalogue (tools/deploy/generate-manifests.ts
 * writes deploy/base/network/network-policies.yaml; the manifest test checks the committed file against a fresh render).
 *
 * Everything is denied, in and out, then opened path by path: DNS for every pod; each service to the Kafka brokers
 * and to the PostgreSQL pooler; service-to-service HTTP only where a service's settings name another service's URL
 * (the relying parties' JPKI_CA_URL); the gateway to the public services; Prometheus to the metrics ports; the
 * operator-managed pods (Strimzi, CloudNativePG) to each other, to their operators and to the Kubernetes API; the
 * services to the OpenTelemetry Collector's namespace (used when deploy/components/tracing turns traces on); the operator
 * network to the brokers' external listener (the prod overlay's, for the dlq and invariants tools).
 */
import { resolve } from 'node:path';
import { stringify } from 'yaml';
import { PG_CLUSTER, PG_POOLER, SERVICE_INSTANCES, type ServiceInstance } from './services';
import { KAFKA_CLUSTER } from './topics';

export const NETWORK_POLICIES_FILE = resolve(__dirname, '../base/network/network-policies.yaml');

/** Port of the Kafka listener the services use (KAFKA_BROKERS in the jpki-platform ConfigMap; checked by the test). */
export const KAFKA_CLIENT_PORT = 9092;
const PG_PORT = 5432;

/**
 * The brokers' external listener (a patch in `overlays/prod/kustomization.yaml`): SCRAM-SHA-512 over TLS
 * for the operator tools (KafkaUser jpki-ops), one LoadBalancer per broker plus the bootstrap one.
 */
export const KAFKA_EXTERNAL_PORT = 9094;

/**
 * Where operators run `npm run dlq` and `npm run invariants` from: the only sources admitted to the external listener,
 * by the LoadBalancers (`loadBalancerSourceRanges`), by Strimzi's own listener NetworkPolicy (`networkPolicyPeers`) and
 * by `allow-kafka-external` below (the test checks the three agree). 192.0.2.0/24 is a documentation range (RFC 5737)
 * that admits nobody: replace it with your operator network (VPN, bastion) here and in the prod listener, then
 * regenerate. The listener keeps client addresses (`externalTrafficPolicy: Local`) so that these rules see them.
 */
export const OPERATOR_NETWORK_CIDRS: readonly string[] = ['192.0.2.0/24'];

/**
 * Namespaces of the cluster's shared components, by their `kubernetes.io/metadata.name` label. Patch the policies in
 * an overlay if yours differ.
 */
export const PLATFORM_NAMESPACES = {
  prometheus: 'monitoring',
  gateway: 'gateway-system',
  strimziOperator: 'strimzi',
  cnpgOperator: 'cnpg-system',
  /** The KEDA operator reads consumer-group lag from the brokers (prod's ScaledObjects). */
  keda: 'keda',
  /** The OpenTelemetry Collector the services export traces to, when the tracing component is on (components/tracing). */
  otelCollector: 'observability',
} as const;

/**
 * The OpenTelemetry Collector of the tracing component (deploy/components/tracing): its Service, in namespace
 * PLATFORM_NAMESPACES.otelCollector, and the port of its OTLP/HTTP receiver (the services export http/json).
 */
export const OTEL_COLLECTOR = { service: 'otel-collector', namespace: PLATFORM_NAMESPACES.otelCollector, port: 4318 } as const;
/** OTEL_EXPORTER_OTLP_ENDPOINT of the tracing component: the collector's Service by its cluster DNS name. */
export const OTEL_COLLECTOR_ENDPOINT = `http://${OTEL_COLLECTOR.service}.${OTEL_COLLECTOR.namespace}.svc:${OTEL_COLLECTOR.port}`;

/** Service instances whose paths the Gateway publishes (the CA's OCSP, CRL and certificate URLs; the relying parties). */
export const PUBLIC_SERVICES: readonly string[] = ['jpki-ca', 'rp-bank', 'rp-ticketing', 'rp-eapplication'];

type Peer = Record<string, unknown>;
type Policy = Record<string, unknown>;

const namespace = (name: string): Peer => ({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': name } } });
const podsOf = (labels: Record<string, string>): Peer => ({ podSelector: { matchLabels: labels } });
const tcp = (...ports: number[]) => ports.map((port) => ({ protocol: 'TCP', port }));
const instanceLabels = (identity: string) => ({ 'app.kubernetes.io/instance': identity });
const KAFKA_PODS = { 'strimzi.io/cluster': KAFKA_CLUSTER };
/** The brokers among them (Strimzi labels node-pool pods by role). */
const KAFKA_BROKER_PODS = { ...KAFKA_PODS, 'strimzi.io/broker-role': 'true' };
const PG_PODS = { 'cnpg.io/cluster': PG_CLUSTER };
const POOLER_PODS = { 'cnpg.io/poolerName': PG_POOLER };
const PROMETHEUS = namespace(PLATFORM_NAMESPACES.prometheus);
/** Operators' pods reach the Kubernetes API; its address differs per cluster, so the port is the only bound here. */
const KUBERNETES_API = { ports: tcp(443, 6443) };
/** Service pods (every Deployment's template carries these labels). */
const SERVICE_PODS = { 'app.kubernetes.io/part-of': 'jpki-platform', 'app.kubernetes.io/component': 'service' };

const policy = (name: string, podSelector: Record<string, string>, spec: { ingress?: unknown[]; egress?: unknown[] }): Policy => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name, labels: { 'app.kubernetes.io/part-of': 'jpki-platform' } },
  spec: {
    podSelector: Object.keys(podSelector).length ? { matchLabels: podSelector } : {},
    policyTypes: [...(spec.ingress ? ['Ingress'] : []), ...(spec.egress ? ['Egress'] : [])],
    ...spec,
  },
});

/** The services a service calls over HTTP: every setting whose value is a URL naming another instance's Service. */
export function httpCallees(s: ServiceInstance): ServiceInstance[] {
  const hosts = Object.values(s.settings ?? {}).flatMap((v) => {
    try {
      return [new URL(v)];
    } catch {
      return [];
    }
  });
  return SERVICE_INSTANCES.filter((callee) => hosts.some((u) => u.hostname === callee.identity && Number(u.port) === callee.port));
}

function servicePolicy(s: ServiceInstance): Policy {
  const callers = SERVICE_INSTANCES.filter((c) => httpCallees(c).includes(s));
  const fromHttp = [
    ...callers.map((c) => podsOf(instanceLabels(c.identity))),
    ...(PUBLIC_SERVICES.includes(s.identity) ? [namespace(PLATFORM_NAMESPACES.gateway)] : []),
  ];
  return policy(s.identity, instanceLabels(s.identity), {
    ingress: [...(fromHttp.length ? [{ from: fromHttp, ports: tcp(s.port) }] : []), { from: [PROMETHEUS], ports: tcp(s.port) }],
    egress: [
      { to: [podsOf(KAFKA_PODS)], ports: tcp(KAFKA_CLIENT_PORT) },
      { to: [podsOf(POOLER_PODS)], ports: tcp(PG_PORT) },
      ...httpCallees(s).map((callee) => ({ to: [podsOf(instanceLabels(callee.identity))], ports: tcp(callee.port) })),
    ],
  });
}

export function networkPolicyObjects(): Policy[] {
  return [
    policy('default-deny', {}, { ingress: [], egress: [] }),
    policy('allow-dns', {}, {
      egress: [{ to: [{ ...namespace('kube-system'), ...podsOf({ 'k8s-app': 'kube-dns' }) }], ports: [{ protocol: 'UDP', port: 53 }, ...tcp(53)] }],
    }),
    ...SERVICE_INSTANCES.map(servicePolicy),
    // Traces (deploy/components/tracing turns them on): every service out to the OpenTelemetry Collector's namespace on
    // the OTLP/HTTP port. The collector's pods are labelled differently by each way of installing it (Helm chart,
    // operator), so the namespace and the port bound the path. Present in every overlay, as the file is shared; with
    // traces off no service sends anything there.
    policy('allow-otel-collector', SERVICE_PODS, { egress: [{ to: [namespace(OTEL_COLLECTOR.namespace)], ports: tcp(OTEL_COLLECTOR.port) }] }),
    // Brokers, controllers, entity operator and Kafka Exporter: among themselves, from the Strimzi operator, the services
    // (Strimzi also generates its own listener policies), KEDA and Prometheus; out to each other and the Kubernetes API.
    policy(KAFKA_CLUSTER, KAFKA_PODS, {
      ingress: [
        { from: [podsOf(KAFKA_PODS), namespace(PLATFORM_NAMESPACES.strimziOperator)] },
        { from: [podsOf(SERVICE_PODS), namespace(PLATFORM_NAMESPACES.keda)], ports: tcp(KAFKA_CLIENT_PORT) },
        { from: [PROMETHEUS], ports: tcp(9404) },
      ],
      egress: [{ to: [podsOf(KAFKA_PODS)] }, KUBERNETES_API],
    }),
    // The operator tools (dlq, invariants) from the operator network to the brokers' external listener, which only the
    // prod overlay declares (in the other overlays nothing listens on the port). The address range bounds it.
    policy('allow-kafka-external', KAFKA_BROKER_PODS, {
      ingress: [{ from: OPERATOR_NETWORK_CIDRS.map((cidr) => ({ ipBlock: { cidr } })), ports: tcp(KAFKA_EXTERNAL_PORT) }],
    }),
    // PostgreSQL instances: replication and status among themselves, the operator, the pooler, Prometheus; out to each
    // other, the Kubernetes API and the backup object store (HTTPS).
    policy(PG_CLUSTER, PG_PODS, {
      ingress: [
        { from: [podsOf(PG_PODS)], ports: tcp(PG_PORT, 8000) },
        { from: [namespace(PLATFORM_NAMESPACES.cnpgOperator)], ports: tcp(PG_PORT, 8000) },
        { from: [podsOf(POOLER_PODS)], ports: tcp(PG_PORT) },
        { from: [PROMETHEUS], ports: tcp(9187) },
      ],
      egress: [{ to: [podsOf(PG_PODS)], ports: tcp(PG_PORT, 8000) }, KUBERNETES_API],
    }),
    policy(PG_POOLER, POOLER_PODS, {
      ingress: [
        { from: SERVICE_INSTANCES.map((s) => podsOf(instanceLabels(s.identity))), ports: tcp(PG_PORT) },
        { from: [PROMETHEUS], ports: tcp(9127) },
      ],
      egress: [{ to: [podsOf(PG_PODS)], ports: tcp(PG_PORT) }, KUBERNETES_API],
    }),
  ];
}

export function renderNetworkPolicies(): string {
  const header =
    '# GENERATED by tools/deploy/generate-manifests.ts from deploy/src/network.ts and the service catalogue: do not edit.\n' +
    '# Default deny in and out; each allowed path is a rule below (see deploy/README.md, "Network").\n';
  return header + networkPolicyObjects().map((p) => `---\n${stringify(p, { lineWidth: 0 })}`).join('');
}
