import { z } from 'zod/v4';
import { keyModeSchema } from './sptsm';

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
  iccid: z.string().optional(),
  serial: z.string().optional(),
  failure: z.object({ reason: z.string(), detail: z.string().nullable() }).optional(),
  history: z.array(z.object({ at: z.string(), step: z.string().nullable(), outcome: z.string(), toState: z.string() })),
});
export type EnrollmentView = z.infer<typeof enrollmentViewSchema>;
