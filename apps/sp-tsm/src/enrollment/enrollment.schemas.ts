import { z } from 'zod/v4';
import { base64Schema, CARRIERS, eseSeidSchema, keyModeSchema, MVNOS, msisdnSchema } from '@jpki/contracts';

export const OPERATORS = [...CARRIERS, ...Object.keys(MVNOS)] as [string, ...string[]];

export const enrollmentRequestSchema = z.object({
  /** CMS SignedData (DER, base64) made by the My Number card's signing key over the application JSON. */
  signedApplication: base64Schema.min(100).max(64_000),
  msisdn: msisdnSchema,
  /** The carrier or MVNO of the subscription; an MVNO is served through its host carrier. */
  operator: z.enum(OPERATORS),
  keyMode: keyModeSchema,
  /** An eSE phone: its embedded SE, where the applet goes (managed by the SE-management TSM, not the carrier's). */
  seid: eseSeidSchema.optional(),
});
export type EnrollmentRequest = z.infer<typeof enrollmentRequestSchema>;
