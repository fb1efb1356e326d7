import { z } from 'zod/v4';
import { baseConfigSchema, loadConfig } from '@jpki/service-kit';

const hex = (bytes: number[]) => z.string().regex(new RegExp(`^([0-9A-Fa-f]{2}){${Math.min(...bytes)},${Math.max(...bytes)}}$`));

export const spTsmConfigSchema = baseConfigSchema.extend({
  HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(7200),
  DB_SCHEMA: baseConfigSchema.shape.DB_SCHEMA.default('sp_tsm'),
  /** AID of the SP's supplementary security domain on every SIM. */
  SSD_AID: hex([5, 16]).default('A000000151535050010001'),
  /** SCP03 security level of the SP's sessions (33 = C-MAC, C-DECRYPTION, R-MAC, R-ENCRYPTION). */
  SCP03_SECURITY_LEVEL: z.coerce.number().int().default(0x33),
  /** KVN of the SP's own keyset that replaces the MNO's temporary one. */
  SP_KEYSET_KVN: z.coerce.number().int().min(0x30).max(0x3f).default(0x31),
  /** Deadline of one attempt of a card step (several OTA round trips). */
  CARD_STEP_TIMEOUT_MS: z.coerce.number().int().positive().default(45_000),
  /** Deadline of one attempt of a CA or MNO request. */
  REQUEST_STEP_TIMEOUT_MS: z.coerce.number().int().positive().default(30_000),
  STEP_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(5),
  SAGA_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(32),
});
export type SpTsmConfig = z.infer<typeof spTsmConfigSchema>;

/** Deadlines and attempts of the SP-TSM's saga steps by kind. */
export const stepPolicies = (config: SpTsmConfig) => ({
  request: { timeoutMs: config.REQUEST_STEP_TIMEOUT_MS, maxAttempts: config.STEP_MAX_ATTEMPTS },
  card: { timeoutMs: config.CARD_STEP_TIMEOUT_MS, maxAttempts: config.STEP_MAX_ATTEMPTS },
});

export const loadSpTsmConfig = (env: NodeJS.ProcessEnv = process.env): SpTsmConfig => loadConfig(spTsmConfigSchema, env);
