import { z } from 'zod/v4';
import { LOCAL_OPERATOR_TOKEN_ISSUER, OPERATOR_CARRIERS, OPERATOR_ROLES } from '@jpki/crypto';

/** A console user of the simulation: who signs in, with which roles and carrier scope (none: platform staff). */
export const consoleUserSchema = z.strictObject({
  username: z.string().regex(/^[a-z][a-z0-9._-]{1,63}$/),
  password: z.string().min(8).max(256),
  displayName: z.string().min(1).max(128).optional(),
  roles: z.array(z.enum(OPERATOR_ROLES)).min(1),
  carrier: z.enum(OPERATOR_CARRIERS).optional(),
});
export type ConsoleUser = z.infer<typeof consoleUserSchema>;

const url = z.string().url().transform((u) => u.replace(/\/+$/, ''));

export const consoleConfigSchema = z.object({
  HTTP_HOST: z.string().default('127.0.0.1'),
  HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(7800),
  /** base64 PKCS#8 DER of the Ed25519 key the services' OPERATOR_TOKEN_PUBLIC_KEY verifies: the console is the simulation's IdP. */
  OPERATOR_TOKEN_PRIVATE_KEY: z.string().min(40),
  OPERATOR_TOKEN_ISSUER: z.string().min(1).max(256).default(LOCAL_OPERATOR_TOKEN_ISSUER),
  /** Lifetime of a signed-in session (and of the operator token behind it), in seconds. */
  CONSOLE_SESSION_TTL_S: z.coerce.number().int().min(60).max(12 * 3600).default(3600),
  /** JSON array of users (consoleUserSchema); see README. No default: the launcher generates passwords at start. */
  CONSOLE_USERS: z
    .string()
    .transform((s, ctx) => {
      try {
        return JSON.parse(s) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'CONSOLE_USERS is not JSON' });
        return z.NEVER;
      }
    })
    .pipe(z.array(consoleUserSchema).min(1)),
  LIFECYCLE_URL: url.default('http://127.0.0.1:7500'),
  JPKI_CA_URL: url.default('http://127.0.0.1:7100'),
  SP_TSM_URL: url.default('http://127.0.0.1:7200'),
  VSIM_URL: url.default('http://127.0.0.1:7400'),
  /** Each carrier's MNO-TSM: contract end and the OTA queue, for that carrier's operators. */
  MNO_TSM_DOCOMO_URL: url.default('http://127.0.0.1:7301'),
  MNO_TSM_KDDI_URL: url.default('http://127.0.0.1:7302'),
  MNO_TSM_SOFTBANK_URL: url.default('http://127.0.0.1:7303'),
  /** The platform's broker and topic prefix: the event feed reads lifecycle.events, sptsm.events, ca.events and the dead-letter topics. */
  KAFKA_BROKERS: z
    .string()
    .default('127.0.0.1:9094')
    .transform((s) => s.split(',').map((b) => b.trim()).filter(Boolean)),
  KAFKA_TOPIC_PREFIX: z.string().regex(/^[a-z0-9._-]*$/).default(''),
  /** `name=base64Spki,…`: the producers whose signed envelopes the feed shows (as the services' TRUSTED_PRODUCER_KEYS). */
  TRUSTED_PRODUCER_KEYS: z.string().optional(),
  /** The dead-letter redrive ledger's database (tools/dlq's); the console only lists dead letters. */
  DATABASE_URL: z.string().url().default('postgres://postgres@127.0.0.1:5432/postgres'),
  DLQ_LEDGER_SCHEMA: z.string().default('ops'),
  /** The built single-page app (`vite build --config apps/console/web/vite.config.mts`). */
  CONSOLE_STATIC_DIR: z.string().default('dist/apps/console'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
});
export type ConsoleConfig = z.infer<typeof consoleConfigSchema>;

export function loadConsoleConfig(env: NodeJS.ProcessEnv = process.env): ConsoleConfig {
  const parsed = consoleConfigSchema.safeParse(env);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`invalid console configuration: ${issues}`);
  }
  const names = parsed.data.CONSOLE_USERS.map((u) => u.username);
  if (new Set(names).size !== names.length) throw new Error('invalid console configuration: CONSOLE_USERS has a username twice');
  return parsed.data;
}
