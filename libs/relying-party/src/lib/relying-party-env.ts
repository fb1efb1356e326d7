import { z } from 'zod/v4';

/** Environment every relying-party service reads to reach the JPKI CA (extended with its own variables). */
export const relyingPartyEnvShape = {
  /** The JPKI CA (simulated J-LIS): trust anchors, OCSP responder, CRLs. Configured, never taken from certificates. */
  JPKI_CA_URL: z
    .string()
    .url()
    .default('http://127.0.0.1:7100')
    .transform((url) => url.replace(/\/+$/, '')),
  /** SHA-256 of the JPKI root certificate (hex, colons allowed): anchors fetched from JPKI_CA_URL must match. */
  JPKI_ROOT_SHA256: z
    .string()
    .regex(/^([0-9A-Fa-f]{2}:?){31}[0-9A-Fa-f]{2}$/, '64 hex digits')
    .optional(),
  /** The root CRL (status of the user-authentication CA) is re-fetched when older than this. */
  ROOT_CRL_MAX_AGE_SECONDS: z.coerce.number().int().min(10).max(86_400).default(300),
  /** Timeout of each call to the CA (OCSP, CRL, anchors). */
  CA_HTTP_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(3000),
  /** Largest CRL read from the CA (bytes); a larger or endless answer is cut off and the CRL counts as unavailable. */
  CA_CRL_MAX_BYTES: z.coerce.number().int().min(65_536).max(1_073_741_824).default(33_554_432),
  /**
   * Most challenges outstanding (issued, not yet expired) at once, over every replica (ChallengeStore): beyond it the
   * unauthenticated challenge endpoints answer 503 CHALLENGE_CAPACITY_REACHED. Size it as the expected challenges per
   * second × the challenge TTL, with room to spare; the table never holds more than about three times this.
   */
  CHALLENGE_CAPACITY: z.coerce.number().int().min(10).max(10_000_000).default(10_000),
};
