import { z } from 'zod/v4';
import { base64Schema } from '@jpki/contracts';

export const challengeViewSchema = z.object({
  challengeId: z.uuid(),
  challenge: base64Schema.describe('32 random bytes (base64) to sign with the user-authentication key'),
  expiresAt: z.iso.datetime(),
});

export const eventIdSchema = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'event id: 1–64 of A–Z a–z 0–9 . _ -');
export const gateIdSchema = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'gate id: 1–64 of A–Z a–z 0–9 . _ -');

const signatureSchema = base64Schema.min(64).max(2_000).describe('RSA PKCS#1 v1.5 SHA-256 (SIM) or ECDSA P-256 SHA-256 (iPhone) over the challenge');
const certificateSchema = base64Schema.min(100).max(16_000).describe('user-authentication certificate (DER, base64)');

export const purchaseRequestSchema = z.strictObject({
  eventId: eventIdSchema,
  challengeId: z.uuid(),
  signature: signatureSchema,
  certificate: certificateSchema,
});
export type PurchaseRequest = z.infer<typeof purchaseRequestSchema>;

export const ticketViewSchema = z.object({
  ticketId: z.uuid(),
  eventId: z.string(),
  status: z.enum(['valid', 'used']),
  holder: z.object({ serial: z.string(), subject: z.string(), spkiSha256: z.string() }),
  purchasedAt: z.iso.datetime(),
  usedAt: z.iso.datetime().optional(),
  usedAtGate: z.string().optional(),
});
export type TicketView = z.infer<typeof ticketViewSchema>;

export const gateConfigSchema = z.strictObject({
  eventId: eventIdSchema,
  mode: z.enum(['online', 'offline']).describe('online: OCSP per entry (cached CRL if OCSP is unreachable); offline: cached CRL only, no network'),
  crlMaxAgeSeconds: z.number().int().min(10).max(7 * 86_400).optional().describe('freshness limit of the cached CRL (since its last synchronisation)'),
});
export type GateConfig = z.infer<typeof gateConfigSchema>;

export const gateViewSchema = z.object({
  gateId: z.string(),
  eventId: z.string(),
  mode: z.enum(['online', 'offline']),
  crlMaxAgeSeconds: z.number().int(),
  crl: z
    .object({
      crlNumber: z.string(),
      thisUpdate: z.iso.datetime(),
      nextUpdate: z.iso.datetime().nullable(),
      fetchedAt: z.iso.datetime(),
      revokedEntries: z.number().int(),
      fresh: z.boolean(),
      staleDetail: z.string().optional(),
    })
    .nullable(),
});
export type GateView = z.infer<typeof gateViewSchema>;

export const crlRefreshViewSchema = gateViewSchema.extend({
  sync: z.object({ kind: z.enum(['delta', 'complete', 'unchanged']), bytes: z.number().int() }),
});
export type CrlRefreshView = z.infer<typeof crlRefreshViewSchema>;

export const entryRequestSchema = z
  .strictObject({
    challengeId: z.uuid(),
    signature: signatureSchema,
    /** The ticket; without it the gate looks for an unused ticket of its event bound to `certificate`. */
    ticketId: z.uuid().optional(),
    /** Optional with a ticketId (then it must be the ticket's certificate); required without. */
    certificate: certificateSchema.optional(),
  })
  .refine((r) => r.ticketId !== undefined || r.certificate !== undefined, { message: 'ticketId or certificate is required', path: ['ticketId'] });
export type EntryRequest = z.infer<typeof entryRequestSchema>;

export const entryViewSchema = z.object({
  entryId: z.uuid(),
  gateId: z.string(),
  ticketId: z.uuid(),
  admittedAt: z.iso.datetime(),
  mode: z.enum(['online', 'offline']),
  status: z.object({
    source: z.enum(['ocsp', 'crl']),
    checkedAt: z.iso.datetime(),
    ocspProducedAt: z.iso.datetime().optional(),
    crlNumber: z.string().optional(),
    note: z.string().optional(),
  }),
});
export type EntryView = z.infer<typeof entryViewSchema>;
