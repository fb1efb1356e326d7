import { createHmac, randomBytes } from 'node:crypto';
import { CARRIER_PROFILES, CARRIERS } from '@jpki/contracts';

export interface BearerProfile {
  /** Delay added to every script before the response can leave (one bearer transit). */
  readonly latencyMs: number;
  /** Probability, drawn separately for the downlink and the uplink, that a message is lost. */
  readonly lossRate: number;
}

/** The bearers vsim simulates: each carrier's OTA bearer, and `ese`, the handset push channel to embedded SEs. */
export const OTA_BEARERS = [...CARRIERS, 'ese'] as const;
export type OtaBearerName = (typeof OTA_BEARERS)[number];

/**
 * The eSE push channel's default: the SE-management TSM reaches the handset over its IP connection (a push
 * notification, then the phone fetches the script over TLS), a round trip longer than a carrier's OTA gateway hop but
 * with no SMS segments to lose; loss on it is what integrators inject.
 */
export const ESE_PUSH_PROFILE: BearerProfile = { latencyMs: 80, lossRate: 0 };

export type BearerOverrides = Partial<Record<OtaBearerName, Partial<BearerProfile>>>;

export type BearerDirection = 'downlink' | 'uplink';

/** A number in [0, 1) for one bearer decision; injectable so tests (and replays) are deterministic. */
export type LossDraw = (direction: BearerDirection, messageId: string) => number;

const MAX_LATENCY_MS = 60_000;

/** Parses `docomo:latency=40,loss=0.05;kddi:latency=60;ese:loss=0.1` (any subset of bearers and keys). */
export function parseBearerSpec(spec: string): BearerOverrides {
  const out: BearerOverrides = {};
  for (const part of spec.split(';').map((s) => s.trim()).filter(Boolean)) {
    const [bearer, settings = ''] = part.split(':', 2).map((s) => s.trim());
    if (!(OTA_BEARERS as readonly string[]).includes(bearer)) {
      throw new Error(`OTA_BEARER: unknown bearer "${bearer}" (expected ${OTA_BEARERS.join(', ')})`);
    }
    const profile: { latencyMs?: number; lossRate?: number } = {};
    for (const setting of settings.split(',').map((s) => s.trim()).filter(Boolean)) {
      const [key, raw] = setting.split('=', 2).map((s) => s.trim());
      const value = Number(raw);
      if (key === 'latency') {
        if (!Number.isInteger(value) || value < 0 || value > MAX_LATENCY_MS) {
          throw new Error(`OTA_BEARER: ${bearer} latency must be an integer 0-${MAX_LATENCY_MS} (ms)`);
        }
        profile.latencyMs = value;
      } else if (key === 'loss') {
        if (raw === undefined || raw === '' || !Number.isFinite(value) || value < 0 || value > 1) {
          throw new Error(`OTA_BEARER: ${bearer} loss must be a number in [0, 1]`);
        }
        profile.lossRate = value;
      } else {
        throw new Error(`OTA_BEARER: unknown setting "${key}" for ${bearer} (latency, loss)`);
      }
    }
    out[bearer as OtaBearerName] = { ...out[bearer as OtaBearerName], ...profile };
  }
  return out;
}

const defaultProfile = (bearer: OtaBearerName): BearerProfile => (bearer === 'ese' ? ESE_PUSH_PROFILE : CARRIER_PROFILES[bearer].ota);

/** Carrier defaults from CARRIER_PROFILES and the eSE push channel's, with the configured overrides applied. */
export function bearerProfiles(overrides: BearerOverrides = {}): Record<OtaBearerName, BearerProfile> {
  return Object.fromEntries(OTA_BEARERS.map((b) => [b, { ...defaultProfile(b), ...overrides[b] }])) as Record<OtaBearerName, BearerProfile>;
}

const FRACTION_BITS = 2 ** 48;
/** Six bytes read as a fraction in [0, 1). */
const fraction = (bytes: Buffer) => bytes.readUIntBE(0, 6) / FRACTION_BITS;

/** Deterministic draws: HMAC-SHA256(seed, direction | message id) read as a fraction. */
export function seededLossDraw(seed: string): LossDraw {
  return (direction, messageId) => fraction(createHmac('sha256', seed).update(`${direction}|${messageId}`).digest());
}

export const randomLossDraw: LossDraw = () => fraction(randomBytes(6));

export type Sleep = (ms: number) => Promise<void>;
export const realSleep: Sleep = (ms) => (ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve());

/**
 * The simulated OTA bearer of each carrier (SMS/BIP between the MNO's OTA platform and the handset) and the eSE push
 * channel (the SE-management TSM to the handset). A bearer can be degraded for a while (a latency spike, a loss burst)
 * and restored to its configured profile; the degradation lives in this process only (a restart ends it).
 */
export class OtaBearer {
  private readonly profiles: Record<OtaBearerName, BearerProfile>;

  constructor(
    private readonly configured: Record<OtaBearerName, BearerProfile>,
    private readonly draw: LossDraw = randomLossDraw,
    private readonly sleep: Sleep = realSleep,
  ) {
    this.profiles = { ...configured };
  }

  profile(bearer: OtaBearerName): BearerProfile {
    return this.profiles[bearer];
  }

  /** Whether the bearer runs other than configured. */
  degraded(bearer: OtaBearerName): boolean {
    return this.profiles[bearer] !== this.configured[bearer];
  }

  degrade(bearer: OtaBearerName, change: Partial<BearerProfile>): BearerProfile {
    this.profiles[bearer] = { ...this.configured[bearer], ...change };
    return this.profiles[bearer];
  }

  restore(bearer: OtaBearerName): BearerProfile {
    this.profiles[bearer] = this.configured[bearer];
    return this.profiles[bearer];
  }

  /** One transit over the bearer. */
  transit(bearer: OtaBearerName): Promise<void> {
    return this.sleep(this.profiles[bearer].latencyMs);
  }

  /** Whether this message is lost in the given direction. */
  lost(bearer: OtaBearerName, direction: BearerDirection, messageId: string): boolean {
    const rate = this.profiles[bearer].lossRate;
    return rate > 0 && this.draw(direction, messageId) < rate;
  }
}
