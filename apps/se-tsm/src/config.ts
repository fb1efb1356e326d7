import { z } from 'zod/v4';
import { SE_TSM } from '@jpki/contracts';
import { baseConfigSchema, loadConfig } from '@jpki/service-kit';
import { tsmConfigShape, tsmSettings, type TsmSettings } from '@jpki/tsm';

export const DEFAULT_HTTP_PORT = 7304;

/**
 * SE-management TSM configuration: the shared TSM's variables (`tsmConfigShape`: ISD keys, OTA bearer, saga steps)
 * and the eSEs' SCP03 profile and push channel. The ISD master key is a secret: it has no default anywhere.
 */
export const seTsmConfigSchema = baseConfigSchema.extend({
  HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(DEFAULT_HTTP_PORT),
  DB_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'lower-case SQL identifier').default('se_tsm'),
  ...tsmConfigShape,
  /** AES key length of the eSEs' ISD keys and of the SSDs created on them (the master key's length). */
  SCP03_KEY_BYTES: z.union([z.literal('16'), z.literal('24'), z.literal('32')]).default('16').transform(Number),
  /** S8 or S16 mode of the SSDs created. */
  SCP03_S_MODE: z.union([z.literal('8'), z.literal('16')]).default('8').transform(Number),
  MAX_APDU_DATA_BYTES: z.coerce.number().int().min(64).max(65535).default(255),
  /** One-way latency of the handsets' push channel: the OTA response timeout defaults from it. */
  PUSH_LATENCY_MS: z.coerce.number().int().min(0).max(60_000).default(80),
  /** Security tests only: alter or replay forwarded SP APDUs. Refused in production. */
  SE_SCRIPT_TAMPERING: z.enum(['none', 'alter', 'replay']).default('none'),
});

export type SeTsmConfig = z.infer<typeof seTsmConfigSchema>;

/** The shared TSM code's settings (`identity`: se-tsm) with the ISD AID of new eSEs. */
export type SeTsmSettings = TsmSettings & { isdAid: string };

/** Reads and cross-checks the environment (key length vs profile, tampering vs production). */
export function loadSeTsmConfig(env: NodeJS.ProcessEnv = process.env): { config: SeTsmConfig; settings: SeTsmSettings } {
  const config = loadConfig(seTsmConfigSchema, env);
  const settings = tsmSettings(config, {
    identity: SE_TSM,
    profile: {
      scp03KeyBytes: config.SCP03_KEY_BYTES as TsmSettings['profile']['scp03KeyBytes'],
      scp03SMode: config.SCP03_S_MODE as TsmSettings['profile']['scp03SMode'],
      maxApduDataBytes: config.MAX_APDU_DATA_BYTES,
    },
    otaLatencyMs: config.PUSH_LATENCY_MS,
    tampering: config.SE_SCRIPT_TAMPERING,
    tamperingVariable: 'SE_SCRIPT_TAMPERING',
  });
  return { config, settings };
}
