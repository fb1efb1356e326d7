/**
 * Fresh service keys for a deployment, rendered as a `.env` file for docker-compose or as Kubernetes
 * Secret manifests (CLI: tools/deploy/generate-keys.ts). The output is SECRET: never commit it.
 *
 * Per service: an Ed25519 identity key (signs every published envelope), an X25519 transport key (opens
 * sealed boxes), a 32-byte key-encryption key for secrets at rest and, for each MNO-TSM, the carrier's
 * ISD master key (AES size of the carrier's SCP03 profile). Shared: the trust lists (every service's
 * public keys) and the public key of the operator identity provider, whose private key is printed once
 * for whoever issues operator tokens. For jpki-ca, the root of the SIMULATED device-attestation vendor
 * (DEVICE_ATTESTATION_ROOTS); the vendor itself (its CA key, which the simulated iPhones use to attest
 * their keys) is printed once too, in the vendor-file format of `apps/device` (`--vendor`). Passwords: the
 * database roles' (Kubernetes: one per service and `ops`; compose: one user) and, for compose only, the broker's
 * (the admin, the controller and each service's SCRAM principal; on Kubernetes Strimzi generates the KafkaUsers').
 */
import { randomBytes } from 'node:crypto';
import { stringify } from 'yaml';
import { generateServiceKeys } from '@jpki/crypto';
import {
  dbRoleOf,
  dbSecretOf,
  DEVICE_ATTESTATION_SECRET,
  envPrefixOf,
  keySecretOf,
  OPERATOR_IDP_SECRET,
  OPS_DB_ROLE,
  OPS_DB_SECRET,
  PG_DATABASE,
  PG_POOLER,
  SERVICE_INSTANCES,
  TRUST_SECRET,
} from './services';

type Keys = ReturnType<typeof generateServiceKeys>;

export interface ServiceKeyMaterial extends Keys {
  /** `kekId:base64(32 bytes)`, the KEY_ENCRYPTION_KEYS value (first = active; append old ones when rotating). */
  keyEncryptionKeys: string;
  /** Hex AES key, MNO-TSMs only. */
  isdMasterKey?: string;
  /** DEVICE_ATTESTATION_ROOTS (comma-separated base64 DER), for the instances that verify iPhone key attestations. */
  deviceAttestationRoots?: string;
  /** Password of the service's own PostgreSQL role on Kubernetes (hex, URL-safe). */
  databasePassword: string;
  /** Password of the service's Kafka principal in docker-compose (SCRAM-SHA-512; on Kubernetes Strimzi makes it). */
  kafkaPassword: string;
}

/**
 * The SIMULATED iPhone platform vendor (device-attestation CA). It is made outside this module
 * (tools/deploy/device-attestation.ts, with @jpki/iphone-device), which keeps the deploy library free of
 * domain dependencies.
 */
export interface DeviceAttestationVendor {
  /** Comma-separated base64 DER root certificates: jpki-ca's DEVICE_ATTESTATION_ROOTS. */
  roots: string;
  /** The vendor file (JSON) that `apps/device` reads (`--vendor <file>` or JPKI_DEVICE_ATTESTATION=<file>). */
  vendorJson: string;
}

export interface DeploymentKeys {
  generatedAt: string;
  services: Record<string, ServiceKeyMaterial>;
  operatorIdp: Pick<Keys, 'signingPkcs8' | 'signingSpki'>;
  /** Password of the compose PostgreSQL user (hex, URL-safe). On Kubernetes each service has a role of its own. */
  postgresPassword: string;
  /** Password of the operator tools' PostgreSQL role on Kubernetes (OPS_DB_ROLE; hex, URL-safe). */
  opsDatabasePassword: string;
  /** docker-compose's broker: the admin principal's password (PLAIN and SCRAM) and the controller's (PLAIN). */
  kafkaAdminPassword: string;
  kafkaControllerPassword: string;
  deviceAttestation: DeviceAttestationVendor;
}

export function generateDeploymentKeys(opts: { kekId?: string; now?: Date; deviceAttestation: DeviceAttestationVendor }): DeploymentKeys {
  const now = opts.now ?? new Date();
  const kekId = opts.kekId ?? `k${now.toISOString().slice(0, 10).replace(/-/g, '')}`;
  if (!/^[A-Za-z0-9_-]+$/.test(kekId)) throw new Error(`kek id "${kekId}": letters, digits, _ and - only`);
  const services = Object.fromEntries(
    SERVICE_INSTANCES.map((s) => [
      s.identity,
      {
        ...generateServiceKeys(),
        keyEncryptionKeys: `${kekId}:${randomBytes(32).toString('base64')}`,
        ...(s.isdKeyBytes ? { isdMasterKey: randomBytes(s.isdKeyBytes).toString('hex').toUpperCase() } : {}),
        ...(s.deviceAttestationRoots ? { deviceAttestationRoots: opts.deviceAttestation.roots } : {}),
        databasePassword: randomBytes(24).toString('hex'),
        kafkaPassword: randomBytes(24).toString('hex'),
      },
    ]),
  );
  const idp = generateServiceKeys();
  return {
    generatedAt: now.toISOString(),
    services,
    operatorIdp: { signingPkcs8: idp.signingPkcs8, signingSpki: idp.signingSpki },
    postgresPassword: randomBytes(24).toString('hex'),
    opsDatabasePassword: randomBytes(24).toString('hex'),
    kafkaAdminPassword: randomBytes(24).toString('hex'),
    kafkaControllerPassword: randomBytes(24).toString('hex'),
    deviceAttestation: opts.deviceAttestation,
  };
}

/** Variables every service gets: whose signatures to trust, whom to seal to, who signs operator tokens. */
export function trustEnv(keys: DeploymentKeys): Record<string, string> {
  const list = (pick: (k: ServiceKeyMaterial) => string) =>
    Object.entries(keys.services)
      .map(([name, k]) => `${name}=${pick(k)}`)
      .join(',');
  return {
    TRUSTED_PRODUCER_KEYS: list((k) => k.signingSpki),
    TRANSPORT_PUBLIC_KEYS: list((k) => k.transportSpki),
    OPERATOR_TOKEN_PUBLIC_KEY: keys.operatorIdp.signingSpki,
  };
}

/** One service's private variables. */
export function serviceSecretEnv(keys: DeploymentKeys, identity: string): Record<string, string> {
  const k = keys.services[identity];
  if (!k) throw new Error(`no keys for ${identity}`);
  return {
    SERVICE_SIGNING_KEY: k.signingPkcs8,
    SERVICE_TRANSPORT_KEY: k.transportPkcs8,
    KEY_ENCRYPTION_KEYS: k.keyEncryptionKeys,
    ...(k.isdMasterKey ? { ISD_MASTER_KEY: k.isdMasterKey } : {}),
    ...(k.deviceAttestationRoots ? { DEVICE_ATTESTATION_ROOTS: k.deviceAttestationRoots } : {}),
  };
}

/** Key of the vendor file in the device-attestation Secret. */
export const DEVICE_ATTESTATION_VENDOR_FILE = 'vendor.json';

/** Contents of the device-attestation Secret: the vendor file and, for reference, its roots. */
export function deviceAttestationEnv(keys: DeploymentKeys): Record<string, string> {
  return { [DEVICE_ATTESTATION_VENDOR_FILE]: keys.deviceAttestation.vendorJson, DEVICE_ATTESTATION_ROOTS: keys.deviceAttestation.roots };
}

/** The `.env` variable holding a service's Kafka (SCRAM) password for docker-compose, e.g. `SP_TSM_KAFKA_SASL_PASSWORD`. */
export const kafkaPasswordVariable = (identity: string): string => `${envPrefixOf(identity)}_KAFKA_SASL_PASSWORD`;

/**
 * `.env` for docker-compose: shared variables as is, per-service ones prefixed (`SP_TSM_SERVICE_SIGNING_KEY`).
 * The device-attestation vendor file is base64-encoded (DEVICE_ATTESTATION_VENDOR_B64), so the line stays one
 * plain token for compose's .env parser.
 */
export function envFileVariables(keys: DeploymentKeys): Record<string, string> {
  const out: Record<string, string> = {
    ...trustEnv(keys),
    OPERATOR_IDP_SIGNING_KEY: keys.operatorIdp.signingPkcs8,
    POSTGRES_PASSWORD: keys.postgresPassword,
    KAFKA_ADMIN_PASSWORD: keys.kafkaAdminPassword,
    KAFKA_CONTROLLER_PASSWORD: keys.kafkaControllerPassword,
    DEVICE_ATTESTATION_VENDOR_B64: Buffer.from(keys.deviceAttestation.vendorJson, 'utf8').toString('base64'),
  };
  for (const s of SERVICE_INSTANCES) {
    for (const [name, value] of Object.entries(serviceSecretEnv(keys, s.identity))) out[`${envPrefixOf(s.identity)}_${name}`] = value;
    out[kafkaPasswordVariable(s.identity)] = keys.services[s.identity].kafkaPassword;
  }
  return out;
}

export function renderEnvFile(keys: DeploymentKeys): string {
  const lines = [
    `# Generated by tools/deploy/generate-keys.ts at ${keys.generatedAt}.`,
    '# SECRET. Never commit this file (.env is git-ignored and docker-ignored).',
    ...Object.entries(envFileVariables(keys)).map(([k, v]) => `${k}=${v}`),
  ];
  return `${lines.join('\n')}\n`;
}

function secret(name: string, namespace: string, generatedAt: string, data: Record<string, string>, component: string, extra: { type?: string; labels?: Record<string, string> } = {}): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name,
      namespace,
      labels: { 'app.kubernetes.io/part-of': 'jpki-platform', 'app.kubernetes.io/component': component, ...extra.labels },
      annotations: { 'jpki.dev/generated-at': generatedAt, 'jpki.dev/generated-by': 'tools/deploy/generate-keys.ts' },
    },
    type: extra.type ?? 'Opaque',
    stringData: data,
  };
}

/**
 * A service's database credentials: `username`/`password` for its CNPG managed role (a basic-auth Secret; the label
 * makes CNPG apply a changed password) and `uri`, its DATABASE_URL through the Pooler.
 */
export function databaseSecretData(keys: DeploymentKeys, identity: string): Record<string, string> {
  const s = SERVICE_INSTANCES.find((i) => i.identity === identity);
  if (!s) throw new Error(`unknown service ${identity}`);
  const password = keys.services[identity].databasePassword;
  return { username: dbRoleOf(s), password, uri: `postgresql://${dbRoleOf(s)}:${password}@${PG_POOLER}:5432/${PG_DATABASE}` };
}

/**
 * The operator tools' database credentials (role OPS_DB_ROLE): `username`/`password` for its CNPG managed role and `uri`
 * through the Pooler, as in the services' Secrets. From outside the cluster, operators reach the Pooler with
 * `kubectl port-forward` and use the same user and password with their local address.
 */
export function opsDatabaseSecretData(keys: DeploymentKeys): Record<string, string> {
  const password = keys.opsDatabasePassword;
  return { username: OPS_DB_ROLE, password, uri: `postgresql://${OPS_DB_ROLE}:${password}@${PG_POOLER}:5432/${PG_DATABASE}` };
}

/**
 * The Secrets the Deployments reference (`<identity>-keys` and `<identity>-db` per service, `jpki-trust`), and three that no service
 * mounts: the operator tools' database role (`jpki-ops-db`), the operator IdP key and the SIMULATED device-attestation vendor.
 */
export function secretObjects(keys: DeploymentKeys, namespace: string): Record<string, unknown>[] {
  return [
    secret(TRUST_SECRET, namespace, keys.generatedAt, trustEnv(keys), 'trust'),
    ...SERVICE_INSTANCES.map((s) => secret(keySecretOf(s.identity), namespace, keys.generatedAt, serviceSecretEnv(keys, s.identity), s.identity)),
    ...SERVICE_INSTANCES.map((s) =>
      secret(dbSecretOf(s.identity), namespace, keys.generatedAt, databaseSecretData(keys, s.identity), s.identity, { type: 'kubernetes.io/basic-auth', labels: { 'cnpg.io/reload': 'true' } }),
    ),
    secret(OPS_DB_SECRET, namespace, keys.generatedAt, opsDatabaseSecretData(keys), 'operator-tools', { type: 'kubernetes.io/basic-auth', labels: { 'cnpg.io/reload': 'true' } }),
    secret(
      OPERATOR_IDP_SECRET,
      namespace,
      keys.generatedAt,
      { OPERATOR_IDP_SIGNING_KEY: keys.operatorIdp.signingPkcs8, OPERATOR_TOKEN_PUBLIC_KEY: keys.operatorIdp.signingSpki },
      'operator-idp',
    ),
    secret(DEVICE_ATTESTATION_SECRET, namespace, keys.generatedAt, deviceAttestationEnv(keys), 'device-attestation'),
  ];
}

export function renderSecrets(keys: DeploymentKeys, namespace: string): string {
  const header = `# Generated by tools/deploy/generate-keys.ts at ${keys.generatedAt}. SECRET: apply, never commit.\n`;
  return header + secretObjects(keys, namespace).map((o) => `---\n${stringify(o, { lineWidth: 0 })}`).join('');
}
