import { z } from 'zod/v4';
import { base64Schema } from '@jpki/contracts';

export const challengeViewSchema = z.object({
  challengeId: z.uuid(),
  challenge: base64Schema.describe('32 random bytes (base64) to sign with the user-authentication key'),
  expiresAt: z.iso.datetime(),
});
export type ChallengeView = z.infer<typeof challengeViewSchema>;

export const loginRequestSchema = z.strictObject({
  challengeId: z.uuid(),
  /** RSASSA-PKCS1-v1_5 SHA-256 (SIM applet) or ECDSA P-256 SHA-256 (iPhone; DER or raw r‖s) over the challenge bytes. */
  signature: base64Schema.min(64).max(2_000),
  /** The user-authentication certificate (DER, base64). */
  certificate: base64Schema.min(100).max(16_000),
});
export type LoginRequest = z.infer<typeof loginRequestSchema>;

const holderSchema = z.object({
  serial: z.string(),
  subject: z.string(),
  spkiSha256: z.string(),
  keyType: z.enum(['rsa', 'ec']),
  notAfter: z.iso.datetime(),
});

export const statusViewSchema = z.object({
  source: z.enum(['ocsp', 'crl']),
  checkedAt: z.iso.datetime(),
  ocspProducedAt: z.iso.datetime().optional(),
  crlNumber: z.string().optional(),
  note: z.string().optional(),
});

export const loginViewSchema = z.object({
  sessionId: z.uuid(),
  sessionToken: z.string().describe('bearer token for /accounts/me and /logout'),
  expiresAt: z.iso.datetime(),
  holder: holderSchema,
  account: z.object({ accountId: z.uuid(), holderSubject: z.string() }),
  status: statusViewSchema,
});
export type LoginView = z.infer<typeof loginViewSchema>;

export const accountViewSchema = z.object({
  account: z.object({
    accountId: z.uuid(),
    holderSubject: z.string(),
    openedAt: z.iso.datetime(),
    balanceYen: z.number().int(),
    transactions: z.array(z.object({ at: z.iso.datetime(), description: z.string(), amountYen: z.number().int() })),
  }),
  session: z.object({ sessionId: z.uuid(), certificateSerial: z.string(), expiresAt: z.iso.datetime(), statusCheckedAt: z.iso.datetime() }),
});
export type AccountView = z.infer<typeof accountViewSchema>;
