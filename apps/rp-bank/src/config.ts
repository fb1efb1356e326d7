import { z } from 'zod/v4';
import { relyingPartyEnvShape } from '@jpki/relying-party';
import { baseConfigSchema, loadConfig } from '@jpki/service-kit';

export const RP_BANK_SERVICE_NAME = 'rp-bank';

const seconds = (min: number, max: number, fallback: number) => z.coerce.number().int().min(min).max(max).default(fallback);

export const rpBankConfigSchema = baseConfigSchema.extend({
  HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(7600),
  DB_SCHEMA: baseConfigSchema.shape.DB_SCHEMA.default('rp_bank'),
  ...relyingPartyEnvShape,
  /** A login challenge is single use and expires after this. */
  LOGIN_CHALLENGE_TTL_SECONDS: seconds(5, 600, 120),
  SESSION_TTL_SECONDS: seconds(60, 86_400, 900),
  /** A session re-checks its certificate by OCSP on use when the last check is older than this (0: every request). */
  SESSION_STATUS_MAX_AGE_SECONDS: seconds(0, 3600, 60),
});

export type RpBankConfig = z.infer<typeof rpBankConfigSchema>;

export function loadRpBankConfig(env: NodeJS.ProcessEnv = process.env): RpBankConfig {
  return loadConfig(rpBankConfigSchema, env);
}
