import { z } from 'zod/v4';
import { LOCAL_OPERATOR_TOKEN_ISSUER } from '@jpki/crypto';

const brokerList = z
  .string()
  .default('127.0.0.1:9094')
  .transform((s) => s.split(',').map((b) => b.trim()).filter(Boolean))
  .refine((l) => l.length > 0 && l.every((b) => /^[^:\s]+:\d{1,5}$/.test(b)), 'comma-separated host:port list');

const schemaName = z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'lower-case SQL identifier');

/** HTTP_BODY_LIMIT_BYTES unless configured: 1 MiB. */
export const DEFAULT_HTTP_BODY_LIMIT_BYTES = 1024 * 1024;

/** Variables every service reads. Service-specific schemas extend this one. */
export const baseConfigSchema = z.object({
  HTTP_HOST: z.string().default('0.0.0.0'),
  HTTP_PORT: z.coerce.number().int().min(0).max(65535),
  DATABASE_URL: z.string().url().default('postgres://postgres@127.0.0.1:5432/postgres'),
  DB_SCHEMA: schemaName,
  KAFKA_BROKERS: brokerList,
  KAFKA_TOPIC_PREFIX: z.string().regex(/^[a-z0-9._-]*$/).default(''),
  /**
   * The service's Kafka principal (SCRAM-SHA-512; its ACLs come from libs/contracts kafkaGrants). Read by kafkaClient
   * (libs/messaging); validated here so a half-set pair fails at start. On Kubernetes the password is the KafkaUser's
   * Secret.
   */
  KAFKA_SASL_MECHANISM: z.literal('scram-sha-512').optional(),
  KAFKA_SASL_USERNAME: z.string().min(1).optional(),
  KAFKA_SASL_PASSWORD: z.string().min(1).optional(),
  KAFKA_CONSUMER_GROUP: z.string().min(1).optional(),
  /** Kafka consumer session timeout: how long a crashed instance keeps its partitions (broker minimum 6000). */
  KAFKA_SESSION_TIMEOUT_MS: z.coerce.number().int().min(6_000).max(300_000).default(30_000),
  /** How long a saga claimed by a crashed instance waits before another instance resumes it. */
  SAGA_LEASE_MS: z.coerce.number().int().min(1_000).max(600_000).default(15_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().positive().default(15_000),
  /**
   * Largest JSON request body, in bytes; larger ones are refused with 413 PAYLOAD_TOO_LARGE before they are read.
   * 1 MiB by default: the largest honest request (an iPhone enrollment: a signed application, a key attestation and a
   * CSR, ≈ 120 kB of base64) fits eight times over.
   */
  HTTP_BODY_LIMIT_BYTES: z.coerce.number().int().min(16 * 1024).max(64 * 1024 * 1024).default(DEFAULT_HTTP_BODY_LIMIT_BYTES),
  /**
   * How long an inbox row (consumer, messageId) is kept for deduplication, in hours. It must outlive every way the same
   * message can come back: 7-day topic retention replayed from the beginning, retries, a dead letter redriven within its
   * 30-day retention (libs/messaging inbox-pruner.ts). Shorter than 31 days is refused.
   */
  INBOX_RETENTION_HOURS: z.coerce.number().int().min(31 * 24).max(3650 * 24).default(35 * 24),
  /** base64 PKCS#8 DER of this service's Ed25519 identity key; every published envelope is signed with it. */
  SERVICE_SIGNING_KEY: z.string().min(40).optional(),
  /** `producer=base64Spki,…`: whose signed messages this service accepts where a subscription requires it. */
  TRUSTED_PRODUCER_KEYS: z.string().optional(),
  /** base64 PKCS#8 DER of this service's X25519 transport key (opens sealed boxes sent to it). */
  SERVICE_TRANSPORT_KEY: z.string().min(40).optional(),
  /** `service=base64Spki,…`: transport keys of the services this one seals data to. */
  TRANSPORT_PUBLIC_KEYS: z.string().optional(),
  /** `kekId:base64(32 bytes)[,…]`, first = active: encrypts secrets at rest (keysets, CA keys, card images). */
  KEY_ENCRYPTION_KEYS: z.string().min(10).optional(),
  /**
   * The simulation clock's largest single move forward, in days (lifecycle's POST /clock refuses more, every service's
   * clock feed ignores more). 0 = the simulation clock is off: the production overlay sets it.
   */
  SIMULATION_CLOCK_MAX_JUMP_DAYS: z.coerce.number().min(0).max(3660).default(1830),
  /** base64 SPKI of the Ed25519 key that signs operator tokens (EdDSA JWT with roles). */
  OPERATOR_TOKEN_PUBLIC_KEY: z.string().min(40).optional(),
  /** The `iss` operator tokens must carry (the IdP's identifier). */
  OPERATOR_TOKEN_ISSUER: z.string().min(1).max(256).default(LOCAL_OPERATOR_TOKEN_ISSUER),
  /** Longest lifetime (exp − iat/nbf) of an accepted operator token, in seconds (12 h by default). */
  OPERATOR_TOKEN_MAX_LIFETIME_S: z.coerce.number().int().min(60).max(7 * 86_400).default(12 * 3600),
  /** Clock skew tolerated on an operator token's iat, nbf and exp, in seconds. */
  OPERATOR_TOKEN_CLOCK_TOLERANCE_S: z.coerce.number().int().min(0).max(300).default(30),
});
export type BaseConfig = z.infer<typeof baseConfigSchema>;

export class ConfigError extends Error {}

/**
 * Parses the environment against a schema and fails with every problem listed at once, naming
 * the variables (never their values: some are secrets).
 */
export function loadConfig<S extends z.ZodTypeAny>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`).join('\n');
  throw new ConfigError(`invalid configuration:\n${problems}`);
}
