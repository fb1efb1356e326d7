import { z } from 'zod/v4';
import { ConfigError } from '@jpki/service-kit';
import type { TsmSettings } from './ports/tsm-settings';

const hexKey = z
  .string()
  .regex(/^([0-9A-Fa-f]{2}){16}$|^([0-9A-Fa-f]{2}){24}$|^([0-9A-Fa-f]{2}){32}$/, 'AES-128/192/256 key as hex');

/**
 * The variables every TSM app reads for the shared code: its ISD keys, its OTA bearer and its saga steps (the app's
 * schema extends its own with them). The ISD master key is a secret: it has no default anywhere.
 */
export const tsmConfigShape = {
  NODE_ENV: z.string().optional(),
  /** ISD master key (hex); per-card ISD keysets are KDF3-diversified from it with the card's KDD. */
  ISD_MASTER_KEY: hexKey,
  ISD_KVN: z.coerce.number().int().min(0x30).max(0x3f).default(0x30),
  ISD_AID: z.string().regex(/^([0-9A-Fa-f]{2}){5,16}$/).default('A000000151000000'),
  /** Wait this long for a script's response before re-sending the same scriptId. Defaults from the OTA latency. */
  OTA_RESPONSE_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).optional(),
  /** Sends of one scriptId (first send + re-sends) before the step attempt fails. */
  OTA_MAX_SENDS: z.coerce.number().int().min(1).max(20).default(3),
  /** Deadline of one attempt of a card step. Defaults to a few scripts with all their re-sends. */
  CARD_STEP_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(3_600_000).optional(),
  CARD_STEP_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(6),
  /** Deadline and attempts of a step that only touches the database. */
  LOCAL_STEP_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(600_000).default(15_000),
  LOCAL_STEP_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(3),
};

export type TsmEnv = z.infer<z.ZodObject<typeof tsmConfigShape>>;

/** What the app decides: who it is, its SSD profile, its OTA path's latency and its tamper switch (and the switch's variable). */
export interface TsmDeployment {
  identity: string;
  profile: TsmSettings['profile'];
  otaLatencyMs: number;
  tampering: TsmSettings['tampering'];
  tamperingVariable: string;
}

/**
 * The shared settings from the environment and the app's deployment, with the ISD AID of new cards; a master key of
 * another length than the profile's keys, or the tamper switch in production, is a `ConfigError`.
 */
export function tsmSettings(env: TsmEnv, d: TsmDeployment): TsmSettings & { isdAid: string } {
  const problems: string[] = [];
  const master = Buffer.from(env.ISD_MASTER_KEY, 'hex');
  if (master.length !== d.profile.scp03KeyBytes) {
    problems.push(`ISD_MASTER_KEY: ${master.length * 8}-bit key, the ${d.identity} profile uses AES-${d.profile.scp03KeyBytes * 8}`);
  }
  if (d.tampering !== 'none' && env.NODE_ENV === 'production') {
    problems.push(`${d.tamperingVariable}: the tamper switch is for security tests and is refused in production`);
  }
  if (problems.length) throw new ConfigError(`invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  // Round trip = down + card + up; give the bearer 25 latencies (at least 2 s) before re-sending.
  const otaResponseTimeoutMs = env.OTA_RESPONSE_TIMEOUT_MS ?? Math.max(2_000, d.otaLatencyMs * 25);
  return {
    identity: d.identity,
    profile: d.profile,
    isdMasterKey: master,
    isdKvn: env.ISD_KVN,
    isdAid: env.ISD_AID.toUpperCase(),
    otaResponseTimeoutMs,
    otaMaxSends: env.OTA_MAX_SENDS,
    steps: {
      card: { timeoutMs: env.CARD_STEP_TIMEOUT_MS ?? otaResponseTimeoutMs * env.OTA_MAX_SENDS * 6 + 10_000, maxAttempts: env.CARD_STEP_MAX_ATTEMPTS },
      local: { timeoutMs: env.LOCAL_STEP_TIMEOUT_MS, maxAttempts: env.LOCAL_STEP_MAX_ATTEMPTS },
    },
    tampering: d.tampering,
  };
}
