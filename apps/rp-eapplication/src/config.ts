import { z } from 'zod/v4';
import { relyingPartyEnvShape } from '@jpki/relying-party';
import { baseConfigSchema, loadConfig } from '@jpki/service-kit';

export const RP_EAPPLICATION_SERVICE_NAME = 'rp-eapplication';

export const rpEapplicationConfigSchema = baseConfigSchema.extend({
  HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(7900),
  DB_SCHEMA: baseConfigSchema.shape.DB_SCHEMA.default('rp_eapplication'),
  /** Applications (document, SignedData, signer, 基本4情報) are stored only sealed: no start without a key-encryption key. */
  KEY_ENCRYPTION_KEYS: z.string().min(10),
  ...relyingPartyEnvShape,
  /** The digital-signature CA's CRL (and delta) is synchronised again when older than this. */
  SIGNING_CRL_MAX_AGE_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
});

export type RpEapplicationConfig = z.infer<typeof rpEapplicationConfigSchema>;

export function loadRpEapplicationConfig(env: NodeJS.ProcessEnv = process.env): RpEapplicationConfig {
  return loadConfig(rpEapplicationConfigSchema, env);
}
