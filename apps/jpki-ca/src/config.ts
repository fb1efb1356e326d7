import { z } from 'zod/v4';
import { baseConfigSchema, loadConfig } from '@jpki/service-kit';

/** Status changes within this window are folded into one CRL; tests shorten it, the benchmark keeps it. */
export const DEPLOYED_CRL_DEBOUNCE_MS = 200;

export const SERVICE_NAME = 'jpki-ca';

/** Fault injection points (tests and resilience drills only; refused when NODE_ENV=production). */
export const FAULTS = ['crash-after-allocation', 'exit-after-allocation', 'ignore-card-bound'] as const;
export type FaultName = (typeof FAULTS)[number];

export const caConfigSchema = baseConfigSchema
  .extend({
    HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(7100),
    DB_SCHEMA: z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'lower-case SQL identifier')
      .default('jpki_ca'),
    /** Base of the URLs written into certificates (AIA OCSP, caIssuers, CRL DP); default http://127.0.0.1:<HTTP_PORT>. */
    PUBLIC_BASE_URL: z
      .string()
      .url()
      .transform((url) => url.replace(/\/+$/, ''))
      .optional(),
    /** nextUpdate − thisUpdate of OCSP responses; pre-signed ones are refreshed at half of it. */
    OCSP_RESPONSE_VALIDITY_SECONDS: z.coerce.number().int().min(60).max(7 * 86_400).default(3600),
    /**
     * Most CertIDs one OCSP request may ask about; more are answered `malformedRequest` (as XiPKI's maxRequestListCount
     * does) without a lookup. RFC 5019 clients send one; 20 leaves room for a relying party checking a whole chain.
     */
    OCSP_MAX_CERT_IDS: z.coerce.number().int().min(1).max(1000).default(20),
    /** nextUpdate − thisUpdate of CRLs. */
    CRL_VALIDITY_SECONDS: z.coerce.number().int().min(300).max(30 * 86_400).default(86_400),
    /** A new base (full) CRL at least this often, even without status changes. */
    CRL_REFRESH_SECONDS: z.coerce.number().int().min(10).max(86_400).default(3600),
    /** Status changes within this window are folded into one CRL. */
    CRL_DEBOUNCE_MS: z.coerce.number().int().min(0).max(60_000).default(DEPLOYED_CRL_DEBOUNCE_MS),
    /** Pre-generated RSA-2048 keys for CA-generated phone keys and test citizens' cards. */
    KEY_POOL_SIZE: z.coerce.number().int().min(0).max(256).default(8),
    /** log2 of the scrypt cost N protecting the keys in issued card files (10 = fast tests, 15 = default). */
    CARD_FILE_KDF_LOG2N: z.coerce.number().int().min(10).max(20).default(15),
    /** Cap on a phone certificate's validity in days (unset: it runs to the card's user-authentication certificate, as in JPKI); renewal extends it. */
    PHONE_CERTIFICATE_MAX_DAYS: z.coerce.number().int().min(1).max(2000).optional(),
    /** Identity proofing: an application older than this (or this far in the future) is stale. */
    PROOFING_MAX_AGE_SECONDS: z.coerce.number().int().min(10).max(86_400).default(600),
    /**
     * Phone issuance: a verified identity proofing record older than this can no longer be used (PROOFING_EXPIRED).
     * It covers the enrollment steps between proofing and issuance (eligibility, SSD, applet, key), retries included.
     */
    PROOFING_RECORD_MAX_AGE_SECONDS: z.coerce.number().int().min(10).max(86_400).default(1800),
    /**
     * Trust anchors of iPhone device key attestation (the SIMULATED platform vendor's roots): comma-separated
     * base64 DER certificates. Empty: every iPhone issuance is refused with ATTESTATION_UNTRUSTED.
     */
    DEVICE_ATTESTATION_ROOTS: z
      .string()
      .default('')
      .transform((s) => s.split(',').map((r) => r.trim()).filter(Boolean))
      .pipe(z.array(z.string().regex(/^[A-Za-z0-9+/]+={0,2}$/, 'base64 DER certificate'))),
    /** Comma-separated `fault[:times]` from FAULTS, e.g. `crash-after-allocation:1` (test/drill only). */
    CA_FAULTS: z
      .string()
      .default('')
      .transform((s) => s.split(',').map((f) => f.trim()).filter(Boolean))
      .pipe(z.array(z.string().regex(new RegExp(`^(${FAULTS.join('|')})(:[1-9][0-9]{0,5})?$`), `one of ${FAULTS.join(', ')}, optionally :times`))),
    NODE_ENV: z.string().optional(),
  })
  .refine((c) => c.NODE_ENV !== 'production' || c.CA_FAULTS.length === 0, {
    message: 'CA_FAULTS must be empty in production',
    path: ['CA_FAULTS'],
  });

export type CaConfig = z.infer<typeof caConfigSchema>;

export function loadCaConfig(env: NodeJS.ProcessEnv = process.env): CaConfig {
  return loadConfig(caConfigSchema, env);
}

export function publicBaseUrl(config: Pick<CaConfig, 'PUBLIC_BASE_URL' | 'HTTP_PORT'>): string {
  return config.PUBLIC_BASE_URL ?? `http://127.0.0.1:${config.HTTP_PORT}`;
}
