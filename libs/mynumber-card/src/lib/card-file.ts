/**
 * The card file: what the device app keeps in place of a physical My Number card (SIMULATION). It holds the
 * two card certificates, their private keys wrapped under the signing password / user-authentication PIN, the
 * retry counters, and the CA certificates. It never holds a key in clear.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod/v4';
import { CREDENTIAL_RULES, type CardSlot } from './credentials';
import { CardError } from './errors';
import { checkScryptParameters } from './key-wrap';

export const CARD_FILE_FORMAT = 'jpki-virtual-mynumber-card/1';

const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64');

const wrappedKeySchema = z
  .object({
    kdf: z.literal('scrypt'),
    N: z.number().int(),
    r: z.number().int(),
    p: z.number().int(),
    salt: base64.min(16).max(128),
    cipher: z.literal('A256GCM'),
    iv: base64.min(16).max(32),
    ciphertext: base64.min(16).max(16_000),
    tag: base64.min(16).max(32),
  })
  .superRefine((value, ctx) => {
    const problem = checkScryptParameters(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

const slotSchema = (slot: CardSlot) =>
  z.object({
    /** DER certificate, base64. */
    certificate: base64.min(100).max(16_000),
    maxTries: z.literal(CREDENTIAL_RULES[slot].maxTries),
    triesRemaining: z.number().int().min(0).max(CREDENTIAL_RULES[slot].maxTries),
    wrappedKey: wrappedKeySchema,
  });

export const cardFileSchema = z.object({
  format: z.literal(CARD_FILE_FORMAT),
  /** Always true: nothing in this file is a real J-LIS artefact. */
  simulated: z.literal(true),
  cardId: z.uuid(),
  personId: z.uuid(),
  issuedAt: z.iso.datetime(),
  /** Increases with every change (tries used, tries reset, credential changed). */
  revision: z.number().int().nonnegative(),
  signing: slotSchema('signing'),
  userAuthentication: slotSchema('user-authentication'),
  caCertificates: z.object({
    root: base64.min(100).max(16_000),
    digitalSignature: base64.min(100).max(16_000),
    userAuthentication: base64.min(100).max(16_000),
  }),
});

export type CardFile = z.infer<typeof cardFileSchema>;
export type CardSlotState = CardFile['signing'];

export function slotKey(slot: CardSlot): 'signing' | 'userAuthentication' {
  return slot === 'signing' ? 'signing' : 'userAuthentication';
}

/** Associated data of a wrapped key: it opens only in its own card, slot and next to its own certificate. */
export function wrappedKeyAad(cardId: string, slot: CardSlot, certificateBase64: string): string {
  const fingerprint = createHash('sha256').update(Buffer.from(certificateBase64, 'base64')).digest('hex');
  return `${CARD_FILE_FORMAT}|${cardId}|${slot}|${fingerprint}`;
}

/** Parses and validates a card file (object or JSON text); throws CardError CARD_FILE_INVALID. */
export function parseCardFile(input: unknown): CardFile {
  let value = input;
  if (typeof input === 'string' || Buffer.isBuffer(input)) {
    try {
      value = JSON.parse(input.toString());
    } catch (error) {
      throw new CardError('CARD_FILE_INVALID', `card file is not JSON: ${(error as Error).message}`);
    }
  }
  const parsed = cardFileSchema.safeParse(value);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
    throw new CardError('CARD_FILE_INVALID', `invalid card file: ${problems}`);
  }
  return parsed.data;
}
