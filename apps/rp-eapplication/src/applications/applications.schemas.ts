import { z } from 'zod/v4';
import { base64Schema } from '@jpki/contracts';

export const submitApplicationSchema = z.strictObject({
  /** The document's bytes (base64); the body as a whole is bounded by HTTP_BODY_LIMIT_BYTES (413 PAYLOAD_TOO_LARGE). */
  document: base64Schema.min(1),
  /** DER CMS SignedData (base64) over the document: detached, or encapsulating exactly the document's bytes. */
  signedData: base64Schema.min(100).max(64_000),
});
export type SubmitApplication = z.infer<typeof submitApplicationSchema>;

export const applicationViewSchema = z.object({
  applicationId: z.uuid(),
  receivedAt: z.iso.datetime(),
  documentSha256: z.string(),
  signer: z.object({ serial: z.string(), subject: z.string(), notAfter: z.iso.datetime() }),
  signingTime: z.iso.datetime().optional().describe('the signingTime attribute: claimed by the signer, not a trusted time'),
  personalData: z
    .object({
      name: z.string(),
      nameSubstitute: z.string().optional(),
      gender: z.enum(['1', '2', '3']).describe('1 male, 2 female, 3 not stated'),
      dateOfBirth: z.string().describe('EYYYYMMDD: era digit, then the Gregorian date'),
      address: z.string(),
      addressSubstitute: z.string().optional(),
    })
    .describe('the 基本4情報 of the signing certificate'),
  status: z.object({ checkedAt: z.iso.datetime(), ocspProducedAt: z.iso.datetime().optional(), crlNumber: z.string().optional() }),
});
export type ApplicationView = z.infer<typeof applicationViewSchema>;
