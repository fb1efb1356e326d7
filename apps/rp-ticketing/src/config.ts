import { z } from 'zod/v4';
import { baseConfigSchema, loadConfig } from '@jpki/service-kit';

export const RP_TICKETING_SERVICE_NAME = 'rp-ticketing';

const seconds = (min: number, max: number, fallback: number) => z.coerce.number().int().min(min).max(max).default(fallback);

export const rpTicketingConfigSchema = baseConfigSchema.extend({
  HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(7700),
  DB_SCHEMA: baseConfigSchema.shape.DB_SCHEMA.default('rp_ticketing'),
  /** The JPKI CA (simulated J-LIS): trust anchors, OCSP responder, CRLs. Configured, never taken from certificates. */
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
  /** Purchase and gate challenges are single use and expire after this. */
  CHALLENGE_TTL_SECONDS: seconds(5, 600, 60),
  /** Default freshness limit of a gate's cached CRL (time since its last synchronisation); per gate configurable. */
  GATE_CRL_MAX_AGE_SECONDS: seconds(10, 7 * 86_400, 900),
  /** Online gates re-synchronise their CRL cache (their fallback) this often; 0 = only on request. */
  GATE_CRL_AUTO_REFRESH_SECONDS: seconds(0, 86_400, 300),
  /** The root CRL of online checks is re-fetched when older than this. */
  ROOT_CRL_MAX_AGE_SECONDS: seconds(10, 86_400, 300),
  /** Timeout of each call to the CA (OCSP, CRL, anchors). */
  CA_HTTP_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(3000),
});

export type RpTicketingConfig = z.infer<typeof rpTicketingConfigSchema>;

export function loadRpTicketingConfig(env: NodeJS.ProcessEnv = process.env): RpTicketingConfig {
  return loadConfig(rpTicketingConfigSchema, env);
}
