import { z } from 'zod/v4';
import { JpkiAid, hex } from '@jpki/globalplatform';
import { baseConfigSchema, loadConfig } from '@jpki/service-kit';
import { parseBearerSpec } from './bearer/ota-bearer';
import { parseAidRules } from './handset/access-control';

/** `parse` throws with a readable message; zod reports it against the variable. */
function parsedBy<T>(parse: (value: string) => T) {
  return z.string().transform((value, ctx) => {
    try {
      return parse(value);
    } catch (error) {
      ctx.issues.push({ code: 'custom', message: (error as Error).message, input: value });
      return z.NEVER;
    }
  });
}

export const vsimConfigSchema = baseConfigSchema.extend({
  HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(7400),
  DB_SCHEMA: baseConfigSchema.shape.DB_SCHEMA.default('vsim'),
  /** Card images are sealed at rest; the vSIM cannot run without a key-encryption key. */
  KEY_ENCRYPTION_KEYS: z.string().min(10),
  /** Opens the ISD keysets the MNO-TSMs and the SE-management TSM seal to this service. */
  SERVICE_TRANSPORT_KEY: z.string().min(40),
  /**
   * Per-bearer overrides of the simulated OTA bearers: each carrier's (defaults: CARRIER_PROFILES[c].ota) and `ese`, the
   * eSE push channel (default ESE_PUSH_PROFILE), e.g. `docomo:latency=40,loss=0.05;kddi:latency=60;ese:loss=0.1`.
   * Latency in ms delays each script; loss in [0,1] drops the downlink (not executed) or the uplink (executed, response
   * lost), each drawn independently.
   */
  OTA_BEARER: parsedBy(parseBearerSpec).default({}),
  /** When set, loss decisions are a deterministic function of (seed, direction, message id): replayable runs. */
  OTA_BEARER_SEED: z.string().min(1).max(256).optional(),
  /**
   * ARA-style access rules for the handset channel: AIDs (hex) a handset may open a channel to; a trailing `*`
   * makes a prefix rule. Security domains are refused whatever this list says. Default: the JPKI applet's
   * user-authentication and signing instances.
   */
  HANDSET_ALLOWED_AIDS: parsedBy(parseAidRules).default(parseAidRules(`${hex(JpkiAid.DEFAULT_INSTANCE)},${hex(JpkiAid.SIGNING_INSTANCE)}`)),
  /**
   * A signed handset request is accepted while its timestamp is within this many seconds of the machine's clock
   * (either way); its nonce is remembered that long.
   */
  HANDSET_REQUEST_MAX_AGE_SECONDS: z.coerce.number().int().min(5).max(600).default(60),
  /**
   * A channel unused for this long is closed when its handset opens a channel: a phone whose app died with its
   * channels open is not locked out for good (only the handset holding the SIM can open channels at all).
   */
  HANDSET_CHANNEL_IDLE_SECONDS: z.coerce.number().int().min(1).default(120),
  /** RSA-2048 pairs generated ahead for on-card key generation (0: each generated when the card is asked). */
  KEY_POOL_SIZE: z.coerce.number().int().min(0).max(256).default(4),
  /** VirtualUicc instances kept in memory (secure-channel sessions live there between OTA scripts). */
  CARD_CACHE_SIZE: z.coerce.number().int().positive().default(10_000),
});

export type VsimConfig = z.infer<typeof vsimConfigSchema>;

export function loadVsimConfig(env: NodeJS.ProcessEnv = process.env): VsimConfig {
  return loadConfig(vsimConfigSchema, env);
}
