import { z } from 'zod/v4';
import { sealedBoxSchema } from './common';
import { iphoneMethodSchema, keyModeSchema } from './sptsm';

/**
 * What the SP-TSM's enrollment API answers for one enrollment. The service documents its responses with this schema
 * and its clients (the JPKI-UI app in libs/jpki-client, the console, the tests) read them as this type.
 */
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
  /** The SIM the service goes on, once eligibility named it; or the embedded SE of an eSE phone. */
  iccid: z.string().optional(),
  seid: z.string().optional(),
  serial: z.string().optional(),
  /** The phone signing certificate, when the signed application asked for one. */
  signingSerial: z.string().optional(),
  failure: z.object({ reason: z.string(), detail: z.string().nullable() }).optional(),
  history: z.array(z.object({ at: z.string(), step: z.string().nullable(), outcome: z.string(), toState: z.string() })),
});
export type EnrollmentView = z.infer<typeof enrollmentViewSchema>;

/** What the SP-TSM answers for one iPhone enrollment (POST and GET /iphone-enrollments), read by the iPhone JPKI app. */
export const iphoneEnrollmentViewSchema = z.object({
  enrollmentId: z.string(),
  deviceId: z.string(),
  method: iphoneMethodSchema,
  state: z.string().describe('requested, identity-verified, issued, or refused'),
  status: z.enum(['running', 'compensating', 'completed', 'failed']),
  step: z.string().nullable(),
  stepIndex: z.number().int(),
  stepCount: z.number().int(),
  serial: z.string().optional(),
  /** The issued phone certificate (DER, base64), once issued. */
  certificate: z.string().optional(),
  notAfter: z.string().optional(),
  /** Method ①: the CA-generated PKCS#8 sealed to the device's key-agreement key (the SP-TSM cannot open it). */
  deliveredKey: sealedBoxSchema.optional(),
  /** Associated data the device needs to open `deliveredKey`. */
  deliveredKeyAad: z.string().optional(),
  failure: z.object({ reason: z.string(), detail: z.string().nullable() }).optional(),
  history: z.array(z.object({ at: z.string(), step: z.string().nullable(), outcome: z.string(), toState: z.string() })),
});
export type IphoneEnrollmentView = z.infer<typeof iphoneEnrollmentViewSchema>;
