import { z } from 'zod/v4';
import { lifecycleCaseKindSchema, lifecycleCaseStatusSchema } from './lifecycle';

/**
 * What the lifecycle service's operator API answers: a case, a phone and an audit entry. The service documents its
 * responses with these schemas and its clients (the operator CLI, the end-to-end tests) read them as these types.
 */

export const LIFECYCLE_CASE_TRIGGERS = ['operator', 'carrier', 'ca', 'sp-tsm', 'schedule'] as const;
export type LifecycleCaseTrigger = (typeof LIFECYCLE_CASE_TRIGGERS)[number];

export const caseViewSchema = z.object({
  caseId: z.string(),
  kind: lifecycleCaseKindSchema,
  status: lifecycleCaseStatusSchema,
  step: z.string().nullable(),
  trigger: z.enum(LIFECYCLE_CASE_TRIGGERS),
  openedBy: z.string(),
  reason: z.string().nullable(),
  revocationReason: z.string().nullable(),
  personId: z.string().nullable(),
  enrollmentId: z.string().nullable(),
  serial: z.string().nullable(),
  iccid: z.string().nullable(),
  msisdn: z.string().nullable(),
  carrier: z.string().nullable(),
  outcomes: z.object({
    certificate: z.string().describe('pending, on-hold, released, revoked:<reason>, refused:<reason>, cascaded, issued:<serial>, not-needed'),
    service: z.string().describe('pending, done, queued (carrier runs it when the phone is reachable), not-deployed, failed, certificate-written, not-needed'),
    serviceRequests: z.record(z.string(), z.string()),
  }),
  result: z.record(z.string(), z.unknown()),
  failure: z.object({ reason: z.string(), detail: z.string().nullable() }).nullable(),
  openedAt: z.string(),
  closedAt: z.string().nullable(),
  saga: z
    .object({
      state: z.string(),
      status: z.string(),
      step: z.string().nullable(),
      history: z.array(z.object({ at: z.string(), step: z.string().nullable(), outcome: z.string(), toState: z.string(), detail: z.string().nullable() })),
    })
    .nullable(),
});
export type CaseView = z.infer<typeof caseViewSchema>;

export const phoneViewSchema = z.object({
  enrollmentId: z.string(),
  personId: z.string(),
  deviceKind: z.enum(['sim', 'ese', 'iphone']),
  iccid: z.string().nullable(),
  /** The embedded SE of an eSE phone. */
  seid: z.string().nullable(),
  msisdn: z.string().nullable(),
  carrier: z.string().nullable(),
  mvno: z.string().nullable(),
  serial: z.string(),
  notAfter: z.string().nullable(),
  expired: z.boolean().describe('notAfter has passed on the simulation clock'),
  certificate: z.object({ status: z.enum(['good', 'on-hold', 'revoked']), revocationReason: z.string().nullable() }),
  service: z.object({ state: z.string(), pendingOperation: z.string().nullable() }),
  lost: z.boolean(),
  reenrollmentRequired: z.boolean(),
  sim: z.object({ closedAt: z.string().nullable(), closedReason: z.string().nullable(), replacedBy: z.string().nullable() }).nullable(),
});
export type PhoneView = z.infer<typeof phoneViewSchema>;

export const auditEntryViewSchema = z.object({
  id: z.number().int(),
  occurredAt: z.string().describe('simulation clock'),
  recordedAt: z.string().describe('machine clock'),
  actor: z.string(),
  roles: z.array(z.string()),
  action: z.string(),
  target: z.string().nullable(),
  reason: z.string().nullable(),
  outcome: z.string(),
  statusCode: z.number().int(),
  caseId: z.string().nullable(),
  correlationId: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
});
export type AuditEntryView = z.infer<typeof auditEntryViewSchema>;
