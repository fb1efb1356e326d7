import { z } from 'zod/v4';
import { base64Schema } from '@jpki/contracts';

/** An iPhone's identifier; `iphone:<deviceId>` (the sealed-box recipient name) stays within 64 characters. */
export const iphoneDeviceIdSchema = z.string().regex(/^[A-Za-z0-9._-]{8,56}$/, 'deviceId: 8–56 of A–Z a–z 0–9 . _ -');

const common = {
  /** CMS SignedData (DER, base64) made by the My Number card's signing key over the application JSON (deviceKind 'iphone'). */
  signedApplication: base64Schema.min(100).max(64_000),
  deviceId: iphoneDeviceIdSchema,
  /** The SIMULATED Apple-like key attestation of the key below (base64 statement, docs/IPHONE-METHODS.md). */
  attestation: base64Schema.max(32_000).optional(),
};

export const iphoneEnrollmentRequestSchema = z.discriminatedUnion('method', [
  z.object({
    method: z.literal('device-key'),
    ...common,
    /** PKCS#10 (DER, base64) signed by the Secure Enclave P-256 key (ECDSA-with-SHA256): proof of possession. */
    csr: base64Schema.min(100).max(16_000),
  }),
  z.object({
    method: z.literal('ca-generated'),
    ...common,
    /** SubjectPublicKeyInfo (DER, base64) of the Secure Enclave P-256 key-agreement key the CA seals the key to. */
    keyAgreementPublicKey: base64Schema.min(80).max(1_000),
  }),
]);
export type IphoneEnrollmentRequest = z.infer<typeof iphoneEnrollmentRequestSchema>;
