import { z } from 'zod/v4';
import { CARRIER_PROFILES, CARRIERS, MVNOS, type Carrier, type CarrierProfile, type MvnoId } from '@jpki/contracts';
import { baseConfigSchema, ConfigError, loadConfig } from '@jpki/service-kit';
import { tsmConfigShape, tsmSettings, type TsmSettings } from '@jpki/tsm';

export const DEFAULT_HTTP_PORTS: Record<Carrier, number> = { docomo: 7301, kddi: 7302, softbank: 7303 };

/**
 * MNO-TSM configuration. One app, three deployments: `CARRIER` picks the default profile
 * (contracts `CARRIER_PROFILES`), the HTTP port and the schema; each profile field can be
 * overridden by its own variable. The ISD keys, OTA bearer and saga steps are the shared TSM's (`tsmConfigShape`).
 */
export const mnoTsmConfigSchema = baseConfigSchema
  .omit({ HTTP_PORT: true, DB_SCHEMA: true })
  .extend({
    CARRIER: z.enum(CARRIERS),
    HTTP_PORT: z.coerce.number().int().min(0).max(65535).optional(),
    DB_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'lower-case SQL identifier').optional(),
    ...tsmConfigShape,
    // ---- carrier profile overrides ----
    ICCID_PREFIX: z.string().regex(/^89\d{2,8}$/).optional(),
    SCP03_KEY_BYTES: z.union([z.literal('16'), z.literal('24'), z.literal('32')]).transform(Number).optional(),
    /** S8 or S16 mode of the SSDs this carrier creates. */
    SCP03_S_MODE: z.union([z.literal('8'), z.literal('16')]).transform(Number).optional(),
    MAX_APDU_DATA_BYTES: z.coerce.number().int().min(64).max(65535).optional(),
    OTA_LATENCY_MS: z.coerce.number().int().min(0).max(60_000).optional(),
    OTA_LOSS_RATE: z.coerce.number().min(0).max(1).optional(),
    /** JSON `{ "<generation>": { "supportsJpkiApplet": bool, "memoryQuotaBytes": n }, … }` replacing the profile's list. */
    SIM_GENERATIONS_JSON: z.string().optional(),
    /** Comma-separated MVNO ids hosted by this carrier (replaces the profile's list). */
    HOSTED_MVNOS: z.string().optional(),
    /** Security tests only: alter or replay forwarded SP APDUs. Refused in production. */
    MNO_SCRIPT_TAMPERING: z.enum(['none', 'alter', 'replay']).default('none'),
  });

export type MnoTsmEnv = z.infer<typeof mnoTsmConfigSchema>;

/** The shared TSM code's settings (`identity`: the carrier) and what only the MNO-TSM reads. */
export interface MnoTsmSettings extends TsmSettings {
  carrier: Carrier;
  profile: CarrierProfile;
  isdAid: string;
}

export interface MnoTsmConfig extends Omit<MnoTsmEnv, 'HTTP_PORT' | 'DB_SCHEMA'> {
  HTTP_PORT: number;
  DB_SCHEMA: string;
}

const generationsSchema = z.record(
  z.string().min(1).max(32),
  z.object({ supportsJpkiApplet: z.boolean(), memoryQuotaBytes: z.number().int().positive() }),
);

/** The default profile of the carrier with every configured override applied. */
export function resolveProfile(env: MnoTsmEnv): CarrierProfile {
  const base = CARRIER_PROFILES[env.CARRIER];
  const mvnos = env.HOSTED_MVNOS
    ? env.HOSTED_MVNOS.split(',').map((m) => m.trim()).filter(Boolean)
    : base.mvnos;
  for (const m of mvnos) {
    if (!(m in MVNOS)) throw new ConfigError(`invalid configuration:\n  HOSTED_MVNOS: unknown MVNO ${m}`);
    if (MVNOS[m as MvnoId].hostCarrier !== env.CARRIER) {
      throw new ConfigError(`invalid configuration:\n  HOSTED_MVNOS: ${m} is hosted by ${MVNOS[m as MvnoId].hostCarrier}, not ${env.CARRIER}`);
    }
  }
  let simGenerations = base.simGenerations;
  if (env.SIM_GENERATIONS_JSON) {
    const parsed = generationsSchema.safeParse(safeJson(env.SIM_GENERATIONS_JSON));
    if (!parsed.success || Object.keys(parsed.data).length === 0) {
      throw new ConfigError('invalid configuration:\n  SIM_GENERATIONS_JSON: a non-empty {generation: {supportsJpkiApplet, memoryQuotaBytes}} object');
    }
    simGenerations = parsed.data;
  }
  return {
    ...base,
    iccidPrefix: env.ICCID_PREFIX ?? base.iccidPrefix,
    scp03KeyBytes: (env.SCP03_KEY_BYTES as CarrierProfile['scp03KeyBytes'] | undefined) ?? base.scp03KeyBytes,
    scp03SMode: (env.SCP03_S_MODE as CarrierProfile['scp03SMode'] | undefined) ?? base.scp03SMode,
    maxApduDataBytes: env.MAX_APDU_DATA_BYTES ?? base.maxApduDataBytes,
    ota: { latencyMs: env.OTA_LATENCY_MS ?? base.ota.latencyMs, lossRate: env.OTA_LOSS_RATE ?? base.ota.lossRate },
    simGenerations,
    mvnos: mvnos as MvnoId[],
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Reads and cross-checks the environment (key length vs profile, tampering vs production). */
export function loadMnoTsmConfig(env: NodeJS.ProcessEnv = process.env): { config: MnoTsmConfig; settings: MnoTsmSettings } {
  const parsed = loadConfig(mnoTsmConfigSchema, env);
  const profile = resolveProfile(parsed);
  const settings = tsmSettings(parsed, {
    identity: parsed.CARRIER,
    profile,
    otaLatencyMs: profile.ota.latencyMs,
    tampering: parsed.MNO_SCRIPT_TAMPERING,
    tamperingVariable: 'MNO_SCRIPT_TAMPERING',
  });
  const config: MnoTsmConfig = {
    ...parsed,
    HTTP_PORT: parsed.HTTP_PORT ?? DEFAULT_HTTP_PORTS[parsed.CARRIER],
    DB_SCHEMA: parsed.DB_SCHEMA ?? `mno_tsm_${parsed.CARRIER}`,
  };
  return { config, settings: { ...settings, carrier: parsed.CARRIER, profile } };
}
