import { z } from 'zod/v4';
import { base64Schema, CARRIERS, keyModeSchema, MVNOS, msisdnSchema } from '@jpki/contracts';

export const OPERATORS = [...CARRIERS, ...Object.keys(MVNOS)] as [string, ...string[]];

export const enrollmentRequestSchema = z.object({
  /** CMS SignedData (DER, base64) made by the My Number card's signing key over the application JSON. */
  signedApplication: base64Schema.min(100).max(64_000),
  msisdn: msisdnSchema,
  /** The carrier or MVNO of the subscription; an MVNO is served through its host carrier. */
  operator: z.enum(OPERATORS),
  keyMode: keyModeSchema,
});
export type EnrollmentRequest = z.infer<typeof enrollmentRequestSchema>;
