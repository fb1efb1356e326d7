import { z } from 'zod/v4';
import { baseConfigSchema, loadConfig } from '@jpki/service-kit';

export const RP_BANK_SERVICE_NAME = 'rp-bank';

const seconds = (min: number, max: number, fallback: number) => z.coerce.number().int().min(min).max(max).default(fallback);

export const rpBankConfigSchema = baseConfigSchema.extend({
  HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(7600),
  DB_SCHEMA: baseConfigSchema.shape.DB_SCHEMA.default('rp_bank'),
  /** The JPKI CA (simulated J-LIS): trust anchors, OCSP responder, root CRL. Configured, never taken from certificates. */
  JPKI_CA_URL: z
    .string()
    .url()
    .default('http://127.0.0.1:7100')
    .transform((url) => url.replace(/\/+$/, '')),
  /** SHA-256 of the JPKI root certificate (hex, colons allowed): anchors fetched from JPKI_CA_URL must match. */
  JPKI_ROOT_SHA256: z
    .string()
    .regex(/^([0-9A-Fa-f]{2}:?){31}[0-9A-Fa-f]{2}$/, '64 hex digits')
    .optional(),
  /** A login challenge is single use and expires after this. */
  LOGIN_CHALLENGE_TTL_SECONDS: seconds(5, 600, 120),
  SESSION_TTL_SECONDS: seconds(60, 86_400, 900),
  /** A session re-checks its certificate by OCSP on use when the last check is older than this (0: every request). */
  SESSION_STATUS_MAX_AGE_SECONDS: seconds(0, 3600, 60),
  /** The root CRL (status of the user-authentication CA) is re-fetched when older than this. */
  ROOT_CRL_MAX_AGE_SECONDS: seconds(10, 86_400, 300),
  /** Timeout of each call to the CA (OCSP, CRL, anchors). */
  CA_HTTP_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(3000),
});

export type RpBankConfig = z.infer<typeof rpBankConfigSchema>;

export function loadRpBankConfig(env: NodeJS.ProcessEnv = process.env): RpBankConfig {
  return loadConfig(rpBankConfigSchema, env);
}
