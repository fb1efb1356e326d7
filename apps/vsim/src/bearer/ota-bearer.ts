import { createHmac, randomBytes } from 'node:crypto';
import { CARRIER_PROFILES, CARRIERS, type Carrier } from '@jpki/contracts';

export interface BearerProfile {
  /** Delay added to every script before the response can leave (one bearer transit). */
  readonly latencyMs: number;
  /** Probability, drawn separately for the downlink and the uplink, that a message is lost. */
  readonly lossRate: number;
}

export type BearerOverrides = Partial<Record<Carrier, Partial<BearerProfile>>>;

export type BearerDirection = 'downlink' | 'uplink';

/** A number in [0, 1) for one bearer decision; injectable so tests (and replays) are deterministic. */
export type LossDraw = (direction: BearerDirection, messageId: string) => number;

const MAX_LATENCY_MS = 60_000;

/** Parses `docomo:latency=40,loss=0.05;kddi:latency=60` (any subset of carriers and keys). */
export function parseBearerSpec(spec: string): BearerOverrides {
  const out: BearerOverrides = {};
  for (const part of spec.split(';').map((s) => s.trim()).filter(Boolean)) {
    const [carrier, settings = ''] = part.split(':', 2).map((s) => s.trim());
    if (!(CARRIERS as readonly string[]).includes(carrier)) {
      throw new Error(`OTA_BEARER: unknown carrier "${carrier}" (expected ${CARRIERS.join(', ')})`);
    }
    const profile: { latencyMs?: number; lossRate?: number } = {};
    for (const setting of settings.split(',').map((s) => s.trim()).filter(Boolean)) {
      const [key, raw] = setting.split('=', 2).map((s) => s.trim());
      const value = Number(raw);
      if (key === 'latency') {
        if (!Number.isInteger(value) || value < 0 || value > MAX_LATENCY_MS) {
          throw new Error(`OTA_BEARER: ${carrier} latency must be an integer 0-${MAX_LATENCY_MS} (ms)`);
        }
        profile.latencyMs = value;
      } else if (key === 'loss') {
        if (raw === undefined || raw === '' || !Number.isFinite(value) || value < 0 || value > 1) {
          throw new Error(`OTA_BEARER: ${carrier} loss must be a number in [0, 1]`);
        }
        profile.lossRate = value;
      } else {
        throw new Error(`OTA_BEARER: unknown setting "${key}" for ${carrier} (latency, loss)`);
      }
    }
    out[carrier as Carrier] = { ...out[carrier as Carrier], ...profile };
  }
  return out;
}

/** Carrier defaults from CARRIER_PROFILES with the configured overrides applied. */
export function bearerProfiles(overrides: BearerOverrides = {}): Record<Carrier, BearerProfile> {
  return Object.fromEntries(
    CARRIERS.map((c) => [c, { ...CARRIER_PROFILES[c].ota, ...overrides[c] }]),
  ) as Record<Carrier, BearerProfile>;
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
 * The simulated OTA bearer of each carrier (SMS/BIP between the MNO's OTA platform and the handset). A carrier's bearer
 * can be degraded for a while (a latency spike, a loss burst) and restored to its configured profile; the degradation
 * lives in this process only (a restart ends it).
 */
export class OtaBearer {
  private readonly profiles: Record<Carrier, BearerProfile>;

  constructor(
    private readonly configured: Record<Carrier, BearerProfile>,
    private readonly draw: LossDraw = randomLossDraw,
    private readonly sleep: Sleep = realSleep,
  ) {
    this.profiles = { ...configured };
  }

  profile(carrier: Carrier): BearerProfile {
    return this.profiles[carrier];
  }

  /** Whether the carrier's bearer runs other than configured. */
  degraded(carrier: Carrier): boolean {
    return this.profiles[carrier] !== this.configured[carrier];
  }

  degrade(carrier: Carrier, change: Partial<BearerProfile>): BearerProfile {
    this.profiles[carrier] = { ...this.configured[carrier], ...change };
    return this.profiles[carrier];
  }

  restore(carrier: Carrier): BearerProfile {
    this.profiles[carrier] = this.configured[carrier];
    return this.profiles[carrier];
  }

  /** One transit over the bearer. */
  transit(carrier: Carrier): Promise<void> {
    return this.sleep(this.profiles[carrier].latencyMs);
  }

  /** Whether this message is lost in the given direction. */
  lost(carrier: Carrier, direction: BearerDirection, messageId: string): boolean {
    const rate = this.profiles[carrier].lossRate;
    return rate > 0 && this.draw(direction, messageId) < rate;
  }
}
