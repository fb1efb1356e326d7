/**
 * The deployable service instances of the platform, declared once for the deploy tooling: one entry per
 * running identity (mno-tsm runs three times, once per carrier). Compose, the Kustomize base, the keys
 * generator and the manifest test are checked against this list.
 */
import { CARRIER_PROFILES, CARRIERS, SE_TSM, type Carrier } from '@jpki/contracts';

export interface ServiceInstance {
  /** Identity in signed messages and trust lists; also the Deployment/Service/container name. */
  readonly identity: string;
  /** Folder under apps/ (the image's APP variable). */
  readonly app: string;
  readonly port: number;
  readonly schema: string;
  readonly carrier?: Carrier;
  /** A TSM's: the AES key size of its SCP03 profile (its ISD master key, a generated secret, must match it). */
  readonly isdKeyBytes?: number;
  /**
   * Non-secret settings every deployment of this instance sets to the same value (the base ConfigMap and
   * docker-compose), beyond HTTP_PORT, DB_SCHEMA and CARRIER.
   */
  readonly settings?: Readonly<Record<string, string>>;
  /** Trusts the SIMULATED device-attestation vendor: its root goes into this instance's keys Secret. */
  readonly deviceAttestationRoots?: boolean;
  /**
   * prod: a KEDA ScaledObject (consumer lag, CPU) owns the replica count. false = fixed replica count (vsim: its card
   * cache holds secure-channel sessions that every consumer-group rebalance would drop).
   */
  readonly autoscaled: boolean;
  /** prod: the autoscaled size at rest (default 2). */
  readonly minReplicas?: number;
}

const carrierPorts: Record<Carrier, number> = { docomo: 7301, kddi: 7302, softbank: 7303 };

const jpkiCa = { identity: 'jpki-ca', app: 'jpki-ca', port: 7100, schema: 'jpki_ca', deviceAttestationRoots: true, autoscaled: true } as const;

/**
 * In-cluster (Kubernetes Service) and in-compose (service name) URL of the CA: the same in both. Relying
 * parties are configured with it and never follow URLs taken from presented certificates.
 */
export const JPKI_CA_URL = `http://${jpkiCa.identity}:${jpkiCa.port}`;

export const SERVICE_INSTANCES: readonly ServiceInstance[] = [
  jpkiCa,
  { identity: 'sp-tsm', app: 'sp-tsm', port: 7200, schema: 'sp_tsm', autoscaled: true, minReplicas: 3 },
  ...CARRIERS.map((carrier) => ({
    identity: `mno-tsm-${carrier}`,
    app: 'mno-tsm',
    port: carrierPorts[carrier],
    schema: `mno_tsm_${carrier}`,
    carrier,
    isdKeyBytes: CARRIER_PROFILES[carrier].scp03KeyBytes,
    autoscaled: true,
  })),
  // The SE-management TSM (the handsets' eSEs), with its default profile: AES-128 (apps/se-tsm SCP03_KEY_BYTES).
  { identity: SE_TSM, app: 'se-tsm', port: 7304, schema: 'se_tsm', isdKeyBytes: 16, autoscaled: true },
  { identity: 'vsim', app: 'vsim', port: 7400, schema: 'vsim', autoscaled: false },
  { identity: 'lifecycle', app: 'lifecycle', port: 7500, schema: 'lifecycle', autoscaled: true, minReplicas: 3 },
  { identity: 'rp-bank', app: 'rp-bank', port: 7600, schema: 'rp_bank', settings: { JPKI_CA_URL }, autoscaled: true },
  { identity: 'rp-ticketing', app: 'rp-ticketing', port: 7700, schema: 'rp_ticketing', settings: { JPKI_CA_URL }, autoscaled: true },
  { identity: 'rp-eapplication', app: 'rp-eapplication', port: 7900, schema: 'rp_eapplication', settings: { JPKI_CA_URL }, autoscaled: true },
];

/** `mno-tsm-docomo` → `MNO_TSM_DOCOMO`: prefix of a service's variables in the compose `.env` file. */
export const envPrefixOf = (identity: string): string => identity.toUpperCase().replace(/-/g, '_');

/** Kubernetes Secret holding one service's private keys (referenced by its Deployment, never committed). */
export const keySecretOf = (identity: string): string => `${identity}-keys`;

/** Secret with the trust lists every service reads (public keys, but generated with the private ones). */
export const TRUST_SECRET = 'jpki-trust';

/** Secret with the operator identity provider's signing key; mounted by no service. */
export const OPERATOR_IDP_SECRET = 'jpki-operator-idp';

/**
 * Secret with the SIMULATED device-attestation vendor (its CA key signs the simulated iPhones' key
 * attestations); mounted by no service. jpki-ca gets only the vendor's root, in its keys Secret.
 */
export const DEVICE_ATTESTATION_SECRET = 'jpki-device-attestation';

/** The CloudNativePG cluster, its database and the Pooler (PgBouncer, session mode) every service connects through. */
export const PG_CLUSTER = 'jpki-pg';
export const PG_DATABASE = 'jpki';
export const PG_POOLER = 'jpki-pg-pooler-rw';

/**
 * A service's own PostgreSQL role: named like its schema, so that PostgreSQL's default search_path (`"$user", public`)
 * resolves to that schema even where PgBouncer drops the `options` startup parameter (`-c search_path=`).
 */
export const dbRoleOf = (s: Pick<ServiceInstance, 'schema'>): string => s.schema;

/** Secret with a service's role (basic-auth username/password for CNPG's managed role) and its DATABASE_URL (`uri`). */
export const dbSecretOf = (identity: string): string => `${identity}-db`;

/**
 * The operator tools' PostgreSQL role (`npm run dlq`, `npm run invariants`): owns schema `ops`, the dlq tool's redrive
 * ledger (libs/operations RedriveLedger, DLQ_LEDGER_SCHEMA's default), and may only read the services' tables
 * (deploy/base/postgres/cluster.yaml). Its credentials are in Secret OPS_DB_SECRET (generate-keys).
 */
export const OPS_DB_ROLE = 'ops';
export const OPS_DB_SCHEMA = 'ops';
export const OPS_DB_SECRET = 'jpki-ops-db';
