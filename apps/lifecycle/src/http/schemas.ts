import { z } from 'zod/v4';
import { iccidSchema, lifecycleCaseKindSchema, lifecycleCaseStatusSchema, msisdnSchema, revocationReasonSchema, serialSchema } from '@jpki/contracts';

const selectorShape = {
  serial: serialSchema.optional().describe('the phone certificate'),
  iccid: iccidSchema.optional().describe('the SIM carrying the applet'),
  msisdn: msisdnSchema.optional().describe('the subscriber’s number (E.164)'),
  personId: z.uuid().optional().describe('the holder (their active phone)'),
};
const exactlyOne = (v: Record<string, unknown>) => ['serial', 'iccid', 'msisdn', 'personId'].filter((k) => v[k] !== undefined).length === 1;
const ONE = { message: 'name the phone by exactly one of serial, iccid, msisdn, personId', path: ['serial'] };

export const phoneReportSchema = z
  .strictObject({
    ...selectorShape,
    reason: z.string().trim().min(3).max(512).describe('why: who reported it, how it was verified (kept in the audit log)'),
  })
  .refine(exactlyOne, ONE);
export type PhoneReport = z.infer<typeof phoneReportSchema>;

/** Reasons an operator may give for a revocation for good (certificateHold is a loss report; superseded comes with a new phone). */
export const operatorRevocationReasonSchema = revocationReasonSchema.extract(['keyCompromise', 'cessationOfOperation', 'affiliationChanged', 'privilegeWithdrawn', 'unspecified']);

export const revocationRequestSchema = z
  .strictObject({
    ...selectorShape,
    reason: z.string().trim().min(3).max(512).describe('why (kept in the audit log)'),
    revocationReason: operatorRevocationReasonSchema.optional().describe('default: keyCompromise for a phone reported lost, else cessationOfOperation'),
  })
  .refine(exactlyOne, ONE);
export type RevocationRequest = z.infer<typeof revocationRequestSchema>;

export const caseViewSchema = z.object({
  caseId: z.string(),
  kind: lifecycleCaseKindSchema,
  status: lifecycleCaseStatusSchema,
  step: z.string().nullable(),
  trigger: z.enum(['operator', 'carrier', 'ca', 'sp-tsm', 'schedule']),
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

export const caseListQuerySchema = z.object({
  personId: z.uuid().optional(),
  iccid: iccidSchema.optional(),
  serial: serialSchema.optional(),
  enrollmentId: z.string().max(64).optional(),
  kind: lifecycleCaseKindSchema.optional(),
  status: lifecycleCaseStatusSchema.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

export const phoneViewSchema = z.object({
  enrollmentId: z.string(),
  personId: z.string(),
  deviceKind: z.enum(['sim', 'iphone']),
  iccid: z.string().nullable(),
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

export const phoneQuerySchema = z
  .object({ serial: serialSchema.optional(), iccid: iccidSchema.optional(), msisdn: msisdnSchema.optional(), personId: z.uuid().optional() })
  .refine(exactlyOne, ONE);

export const auditQuerySchema = z.object({
  after: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  actor: z.string().max(200).optional(),
  action: z.string().max(64).optional(),
  caseId: z.string().max(64).optional(),
  target: z.string().max(200).optional(),
  outcome: z.string().max(64).optional().describe('prefix, e.g. refused'),
});

export const auditEntrySchema = z.object({
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

export const clockAdvanceSchema = z
  .strictObject({
    advanceDays: z.number().positive().max(36_500).optional(),
    advanceMs: z.number().int().positive().optional(),
    offsetMs: z.number().int().nonnegative().optional().describe('absolute offset from the machine clock'),
    reason: z.string().trim().min(3).max(256),
  })
  .refine((v) => [v.advanceDays, v.advanceMs, v.offsetMs].filter((x) => x !== undefined).length === 1, {
    message: 'give exactly one of advanceDays, advanceMs, offsetMs',
    path: ['advanceDays'],
  });

export const clockViewSchema = z.object({
  now: z.string().describe('simulation clock'),
  machineNow: z.string(),
  offsetMs: z.number().int(),
  offsetDays: z.number(),
});

export const sweepResultSchema = z.object({
  renewalCases: z.array(z.string()),
  expiredPhones: z.array(z.string()),
  at: z.string(),
});
