import { z } from 'zod/v4';
import { CARRIER_PROFILES, CARRIERS, MVNOS, type Carrier, type CarrierProfile, type MvnoId } from '@jpki/contracts';
import { baseConfigSchema, ConfigError, loadConfig } from '@jpki/service-kit';
import type { TsmSettings } from '@jpki/tsm';

export const DEFAULT_HTTP_PORTS: Record<Carrier, number> = { docomo: 7301, kddi: 7302, softbank: 7303 };

const hexKey = z
  .string()
  .regex(/^([0-9A-Fa-f]{2}){16}$|^([0-9A-Fa-f]{2}){24}$|^([0-9A-Fa-f]{2}){32}$/, 'AES-128/192/256 key as hex');

/**
 * MNO-TSM configuration. One app, three deployments: `CARRIER` picks the default profile
 * (contracts `CARRIER_PROFILES`), the HTTP port and the schema; each profile field can be
 * overridden by its own variable. The ISD master key is a secret: it has no default anywhere.
 */
export const mnoTsmConfigSchema = baseConfigSchema
  .omit({ HTTP_PORT: true, DB_SCHEMA: true })
  .extend({
    CARRIER: z.enum(CARRIERS),
    HTTP_PORT: z.coerce.number().int().min(0).max(65535).optional(),
    DB_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'lower-case SQL identifier').optional(),
    NODE_ENV: z.string().optional(),
    /** Carrier ISD master key (hex); per-card ISD keysets are KDF3-diversified from it with the ICCID's KDD. */
    ISD_MASTER_KEY: hexKey,
    ISD_KVN: z.coerce.number().int().min(0x30).max(0x3f).default(0x30),
    ISD_AID: z.string().regex(/^([0-9A-Fa-f]{2}){5,16}$/).default('A000000151000000'),
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
    // ---- OTA bearer behaviour ----
    /** Wait this long for a script's response before re-sending the same scriptId. Defaults from the profile latency. */
    OTA_RESPONSE_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).optional(),
    /** Sends of one scriptId (first send + re-sends) before the step attempt fails. */
    OTA_MAX_SENDS: z.coerce.number().int().min(1).max(20).default(3),
    // ---- saga steps ----
    /** Deadline of one attempt of a card step. Defaults to a few scripts with all their re-sends. */
    CARD_STEP_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(3_600_000).optional(),
    CARD_STEP_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(6),
    /** Deadline and attempts of a step that only touches the database. */
    LOCAL_STEP_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(600_000).default(15_000),
    LOCAL_STEP_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(3),
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
  const problems: string[] = [];
  const master = Buffer.from(parsed.ISD_MASTER_KEY, 'hex');
  if (master.length !== profile.scp03KeyBytes) {
    problems.push(`ISD_MASTER_KEY: ${master.length * 8}-bit key, the ${parsed.CARRIER} profile uses AES-${profile.scp03KeyBytes * 8}`);
  }
  if (parsed.MNO_SCRIPT_TAMPERING !== 'none' && parsed.NODE_ENV === 'production') {
    problems.push('MNO_SCRIPT_TAMPERING: the tamper switch is for security tests and is refused in production');
  }
  if (problems.length) throw new ConfigError(`invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  const config: MnoTsmConfig = {
    ...parsed,
    HTTP_PORT: parsed.HTTP_PORT ?? DEFAULT_HTTP_PORTS[parsed.CARRIER],
    DB_SCHEMA: parsed.DB_SCHEMA ?? `mno_tsm_${parsed.CARRIER}`,
  };
  // Round trip = down + card + up; give the bearer 25 latencies (at least 2 s) before re-sending.
  const otaResponseTimeoutMs = parsed.OTA_RESPONSE_TIMEOUT_MS ?? Math.max(2_000, profile.ota.latencyMs * 25);
  return {
    config,
    settings: {
      identity: parsed.CARRIER,
      carrier: parsed.CARRIER,
      profile,
      isdMasterKey: master,
      isdKvn: parsed.ISD_KVN,
      isdAid: parsed.ISD_AID.toUpperCase(),
      otaResponseTimeoutMs,
      otaMaxSends: parsed.OTA_MAX_SENDS,
      steps: {
        card: { timeoutMs: parsed.CARD_STEP_TIMEOUT_MS ?? otaResponseTimeoutMs * parsed.OTA_MAX_SENDS * 6 + 10_000, maxAttempts: parsed.CARD_STEP_MAX_ATTEMPTS },
        local: { timeoutMs: parsed.LOCAL_STEP_TIMEOUT_MS, maxAttempts: parsed.LOCAL_STEP_MAX_ATTEMPTS },
      },
      tampering: parsed.MNO_SCRIPT_TAMPERING,
    },
  };
}
