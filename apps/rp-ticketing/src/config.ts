import { z } from 'zod/v4';
import { relyingPartyEnvShape } from '@jpki/relying-party';
import { baseConfigSchema, loadConfig } from '@jpki/service-kit';

export const RP_TICKETING_SERVICE_NAME = 'rp-ticketing';

const seconds = (min: number, max: number, fallback: number) => z.coerce.number().int().min(min).max(max).default(fallback);

export const rpTicketingConfigSchema = baseConfigSchema.extend({
  HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(7700),
  DB_SCHEMA: baseConfigSchema.shape.DB_SCHEMA.default('rp_ticketing'),
  ...relyingPartyEnvShape,
  /** Purchase and gate challenges are single use and expire after this. */
  CHALLENGE_TTL_SECONDS: seconds(5, 600, 60),
  /** Default freshness limit of a gate's cached CRL (time since its last synchronisation); per gate configurable. */
  GATE_CRL_MAX_AGE_SECONDS: seconds(10, 7 * 86_400, 900),
  /** Online gates re-synchronise their CRL cache (their fallback) this often; 0 = only on request. */
  GATE_CRL_AUTO_REFRESH_SECONDS: seconds(0, 86_400, 300),
});

export type RpTicketingConfig = z.infer<typeof rpTicketingConfigSchema>;

export function loadRpTicketingConfig(env: NodeJS.ProcessEnv = process.env): RpTicketingConfig {
  return loadConfig(rpTicketingConfigSchema, env);
}
