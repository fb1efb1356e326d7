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

export const caseListQuerySchema = z.object({
  personId: z.uuid().optional(),
  iccid: iccidSchema.optional(),
  serial: serialSchema.optional(),
  enrollmentId: z.string().max(64).optional(),
  kind: lifecycleCaseKindSchema.optional(),
  status: lifecycleCaseStatusSchema.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

const exactlyOneForReading = (v: Record<string, unknown>) => ['serial', 'iccid', 'msisdn', 'personId', 'enrollmentId', 'imei'].filter((k) => v[k] !== undefined).length === 1;
export const phoneQuerySchema = z
  .object({
    serial: serialSchema.optional(),
    iccid: iccidSchema.optional(),
    msisdn: msisdnSchema.optional(),
    personId: z.uuid().optional(),
    /** Reading only: the enrollment that put the phone certificate on the phone (the SP-TSM's id, `enr-…`). */
    enrollmentId: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/).optional(),
    /** Reading only: the handset the carrier last reported the phone's SIM in (`mno.subscriber.handset-changed`). */
    imei: z.string().regex(/^\d{15}$/, 'IMEI: 15 digits').optional(),
  })
  .refine(exactlyOneForReading, { message: 'name the phone by exactly one of serial, iccid, msisdn, personId, enrollmentId, imei', path: ['serial'] });

export const caseFollowUpSchema = z.strictObject({
  reason: z.string().trim().min(3).max(512).describe('how the holder was contacted and what was agreed (kept in the case and the audit log)'),
});
export type CaseFollowUp = z.infer<typeof caseFollowUpSchema>;

export const reenrollmentNoticeSchema = z.strictObject({
  personId: z.uuid().describe('the holder who must apply again'),
  reason: z.string().trim().min(3).max(512).describe('why the notice is sent again, and how the holder was reached (kept in the audit log)'),
});
export type ReenrollmentNoticeRequest = z.infer<typeof reenrollmentNoticeSchema>;

export const reenrollmentNoticeViewSchema = z.object({
  personId: z.string(),
  cause: z.string().describe('why the holder must apply again (the cause recorded when it became necessary)'),
  caseId: z.string().describe('the case (or expiry) that made it necessary'),
  serials: z.array(z.string()),
  sentBy: z.string(),
  sentAt: z.string(),
});
export type ReenrollmentNoticeView = z.infer<typeof reenrollmentNoticeViewSchema>;

export const auditQuerySchema = z.object({
  after: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  actor: z.string().max(200).optional(),
  action: z.string().max(64).optional(),
  caseId: z.string().max(64).optional(),
  target: z.string().max(200).optional(),
  outcome: z.string().max(64).optional().describe('prefix, e.g. refused'),
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
