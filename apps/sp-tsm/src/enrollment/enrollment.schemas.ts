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

export const enrollmentViewSchema = z.object({
  enrollmentId: z.string(),
  msisdn: z.string(),
  operator: z.string(),
  carrier: z.string(),
  keyMode: keyModeSchema,
  state: z.string().describe('service-instance state: not-deployed, initialized, installed, personalized, operational, in-error'),
  status: z.enum(['running', 'compensating', 'completed', 'failed']),
  step: z.string().nullable(),
  stepIndex: z.number().int(),
  stepCount: z.number().int(),
  iccid: z.string().optional(),
  serial: z.string().optional(),
  failure: z.object({ reason: z.string(), detail: z.string().nullable() }).optional(),
  history: z.array(z.object({ at: z.string(), step: z.string().nullable(), outcome: z.string(), toState: z.string() })),
});
export type EnrollmentView = z.infer<typeof enrollmentViewSchema>;
