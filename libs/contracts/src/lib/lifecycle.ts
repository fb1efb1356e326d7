import { z } from 'zod/v4';
import { deviceBindingSchema } from './ca';
import { iccidSchema, requestIdSchema, serialSchema } from './common';
import { defineMessage, route } from './envelope';
import { Topics } from './topics';

/**
 * The lifecycle service's contracts: the renewal command it gives the SP-TSM (a new certificate for
 * the key already on the applet), and the events it publishes about its cases.
 */

/** What a lifecycle case is about (one persisted saga per case). */
export const LIFECYCLE_CASE_KINDS = [
  'loss',
  'found',
  'revocation',
  'device-change',
  'sim-swap',
  'contract-end',
  'card-revocation',
  'card-renewal',
  'renewal',
] as const;
export const lifecycleCaseKindSchema = z.enum(LIFECYCLE_CASE_KINDS);
export type LifecycleCaseKind = z.infer<typeof lifecycleCaseKindSchema>;

/**
 * open: the saga runs; waiting-device: everything is done except a card operation the carrier
 * queued until the phone is reachable; completed; failed (see the reason).
 */
export const LIFECYCLE_CASE_STATUSES = ['open', 'waiting-device', 'completed', 'failed'] as const;
export const lifecycleCaseStatusSchema = z.enum(LIFECYCLE_CASE_STATUSES);
export type LifecycleCaseStatus = z.infer<typeof lifecycleCaseStatusSchema>;

// ---------- lifecycle → SP-TSM: renewal on the same applet ----------

export const ServiceRenewalRequested = defineMessage({
  type: 'sptsm.service.renewal-requested',
  schemaVersion: 1,
  ...route(Topics.spTsmCommands, ['lifecycle']),
  schema: z.object({
    requestId: requestIdSchema,
    iccid: iccidSchema,
    /** The certificate the applet holds now; the CA certifies its key again and supersedes it. */
    previousSerial: serialSchema,
    personId: z.uuid(),
    /** The phone's binding as the lifecycle service knows it (MSISDN changes included). */
    device: deviceBindingSchema,
    reason: z.string().min(1).max(64),
  }),
  key: (p) => p.iccid,
});

export const ServiceRenewalCompleted = defineMessage({
  type: 'sptsm.service.renewal-completed',
  schemaVersion: 1,
  ...route(Topics.spTsmEvents, ['sp-tsm']),
  schema: z.object({
    requestId: requestIdSchema,
    iccid: iccidSchema,
    previousSerial: serialSchema,
    outcome: z.enum(['renewed', 'not-deployed', 'failed']),
    serial: serialSchema.optional(),
    notAfter: z.iso.datetime().optional(),
    /** e.g. CARD_CERTIFICATE_EXPIRED, RENEWAL_NOT_EXTENDING, RENEWAL_PREVIOUS_NOT_GOOD, SIM_UNREACHABLE. */
    reason: z.string().max(64).optional(),
    detail: z.string().max(1024).optional(),
  }),
  key: (p) => p.iccid,
});

// ---------- lifecycle events ----------

export const LifecycleCaseChanged = defineMessage({
  type: 'lifecycle.case.changed',
  schemaVersion: 1,
  ...route(Topics.lifecycleEvents, ['lifecycle']),
  schema: z.object({
    caseId: z.string().min(1).max(64),
    kind: lifecycleCaseKindSchema,
    status: lifecycleCaseStatusSchema,
    step: z.string().max(64).nullable(),
    personId: z.uuid().optional(),
    serial: serialSchema.optional(),
    iccid: iccidSchema.optional(),
    reason: z.string().max(64).optional(),
    at: z.iso.datetime(),
  }),
  key: (p) => p.personId ?? p.caseId,
});

/** The person must apply again on a phone (card revoked or renewed, SIM swapped, renewal impossible). */
export const ReenrollmentRequired = defineMessage({
  type: 'lifecycle.person.reenrollment-required',
  schemaVersion: 1,
  ...route(Topics.lifecycleEvents, ['lifecycle']),
  schema: z.object({
    personId: z.uuid(),
    caseId: z.string().min(1).max(64),
    cause: z.enum(['card-revoked', 'card-renewed', 'sim-swapped', 'renewal-refused', 'certificate-expired']),
    serials: z.array(serialSchema),
    detail: z.string().max(512).optional(),
  }),
  key: (p) => p.personId,
});
