import { z } from 'zod/v4';
import { aidSchema, carrierSchema, eseSeidSchema, iccidSchema, msisdnSchema, mvnoSchema, requestIdSchema, seidOf, serialSchema, seTargeted } from './common';
import { defineMessage, route } from './envelope';
import { Topics } from './topics';

/**
 * Enrollment saga states, after the GlobalPlatform service-instance model (BSI TR-03165 TSM-API):
 * not deployed → initialized → installed → personalized → activated → operational, with
 * suspended and in-error; a terminated instance is deleted (state `terminated` is kept for history).
 */
export const SERVICE_INSTANCE_STATES = [
  'not-deployed',
  'initialized',
  'installed',
  'personalized',
  'activated',
  'operational',
  'suspended',
  'in-error',
  'terminated',
] as const;
export const serviceInstanceStateSchema = z.enum(SERVICE_INSTANCE_STATES);
export type ServiceInstanceState = z.infer<typeof serviceInstanceStateSchema>;

/** The saga's steps, in order. */
export const ENROLLMENT_STEPS = [
  'identity-proofing',
  'eligibility',
  'ssd-creation',
  'key-handover',
  'applet-install',
  'key-provisioning',
  'certificate-issuance',
  'certificate-write',
  'activation',
] as const;
export const enrollmentStepSchema = z.enum(ENROLLMENT_STEPS);
export type EnrollmentStep = z.infer<typeof enrollmentStepSchema>;

export const keyModeSchema = z.enum(['on-card', 'delivered']);
export type KeyMode = z.infer<typeof keyModeSchema>;

export const EnrollmentStateChanged = defineMessage({
  type: 'sptsm.enrollment.state-changed',
  schemaVersion: 1,
  ...route(Topics.spTsmEvents, ['sp-tsm']),
  schema: z.object({
    enrollmentId: z.string().min(1).max(64),
    state: serviceInstanceStateSchema,
    previousState: serviceInstanceStateSchema,
    step: enrollmentStepSchema.nullable(),
    carrier: carrierSchema,
    msisdn: msisdnSchema,
    /** The SIM (once eligibility named it), or the eSE of an eSE phone. */
    iccid: iccidSchema.optional(),
    seid: eseSeidSchema.optional(),
    personId: z.uuid().optional(),
    reason: z.string().max(64).optional(),
  }),
  key: (p) => p.enrollmentId,
});

/** A completed enrollment: the service runs on the phone's SIM (`iccid`) or on its embedded SE (`seid`). */
const completedEnrollment = {
  enrollmentId: z.string().min(1).max(64),
  personId: z.uuid(),
  serial: serialSchema,
  /** The phone signing certificate, when the application asked for it. */
  signingSerial: serialSchema.optional(),
  carrier: carrierSchema,
  mvno: mvnoSchema.optional(),
  msisdn: msisdnSchema,
  ssdAid: aidSchema,
  keyMode: keyModeSchema,
};

export const EnrollmentCompleted = defineMessage({
  type: 'sptsm.enrollment.completed',
  schemaVersion: 1,
  ...route(Topics.spTsmEvents, ['sp-tsm']),
  schema: z.union([z.object({ ...completedEnrollment, iccid: iccidSchema }), z.object({ ...completedEnrollment, seid: eseSeidSchema })]),
  key: (p) => p.enrollmentId,
});

export const EnrollmentFailed = defineMessage({
  type: 'sptsm.enrollment.failed',
  schemaVersion: 1,
  ...route(Topics.spTsmEvents, ['sp-tsm']),
  schema: z.object({
    enrollmentId: z.string().min(1).max(64),
    step: enrollmentStepSchema,
    reason: z.string().max(64),
    detail: z.string().max(1024).optional(),
    carrier: carrierSchema,
    msisdn: msisdnSchema,
    iccid: iccidSchema.optional(),
    seid: eseSeidSchema.optional(),
  }),
  key: (p) => p.enrollmentId,
});

// ---------- lifecycle → SP-TSM: operate on a deployed service instance ----------

/** The secure element whose service instance the operation is for: a SIM by its ICCID, an eSE by its SEID. */
const serviceTarget = { requestId: requestIdSchema, reason: z.string().min(1).max(64) };

export const ServiceSuspendRequested = defineMessage({
  type: 'sptsm.service.suspend-requested',
  schemaVersion: 1,
  ...route(Topics.spTsmCommands, ['lifecycle']),
  schema: seTargeted(serviceTarget),
  key: seidOf,
});

export const ServiceResumeRequested = defineMessage({
  type: 'sptsm.service.resume-requested',
  schemaVersion: 1,
  ...route(Topics.spTsmCommands, ['lifecycle']),
  schema: seTargeted(serviceTarget),
  key: seidOf,
});

export const ServiceTerminateRequested = defineMessage({
  type: 'sptsm.service.terminate-requested',
  schemaVersion: 1,
  ...route(Topics.spTsmCommands, ['lifecycle']),
  schema: seTargeted({ ...serviceTarget, queueIfUnreachable: z.boolean() }),
  key: seidOf,
});

export const ServiceOperationCompleted = defineMessage({
  type: 'sptsm.service.operation-completed',
  schemaVersion: 1,
  ...route(Topics.spTsmEvents, ['sp-tsm']),
  schema: seTargeted({
    requestId: requestIdSchema,
    operation: z.enum(['suspend', 'resume', 'terminate']),
    outcome: z.enum(['done', 'queued', 'not-deployed', 'failed']),
    reason: z.string().max(64).optional(),
    enrollmentId: z.string().max(64).optional(),
  }),
  key: seidOf,
});

// ---------- iPhone enrollments (SP-TSM saga `iphone-enrollment`; no SIM, no SSD) ----------

/**
 * ② `device-key`: the Secure Enclave generates the key, the CA certifies it from a CSR with device attestation;
 * ① `ca-generated`: the CA generates the key and seals it to an attested Secure Enclave key-agreement key.
 */
export const iphoneMethodSchema = z.enum(['device-key', 'ca-generated']);
export type IphoneMethod = z.infer<typeof iphoneMethodSchema>;

export const IPHONE_ENROLLMENT_STEPS = ['identity-proofing', 'certificate-issuance'] as const;
export const iphoneEnrollmentStepSchema = z.enum(IPHONE_ENROLLMENT_STEPS);

/** An iPhone holds an active phone certificate (the lifecycle service's read model starts here). */
export const IphoneEnrollmentCompleted = defineMessage({
  type: 'sptsm.iphone-enrollment.completed',
  schemaVersion: 1,
  ...route(Topics.spTsmEvents, ['sp-tsm']),
  schema: z.object({
    enrollmentId: z.string().min(1).max(64),
    personId: z.uuid(),
    serial: serialSchema,
    deviceId: z.string().min(8).max(64),
    method: iphoneMethodSchema,
    deviceModel: z.string().max(64).optional(),
    /** The supplementary phone number the user named in the application (an iPhone binding is the device, not the SIM). */
    msisdn: msisdnSchema.optional(),
  }),
  key: (p) => p.enrollmentId,
});

export const IphoneEnrollmentFailed = defineMessage({
  type: 'sptsm.iphone-enrollment.failed',
  schemaVersion: 1,
  ...route(Topics.spTsmEvents, ['sp-tsm']),
  schema: z.object({
    enrollmentId: z.string().min(1).max(64),
    deviceId: z.string().min(8).max(64),
    method: iphoneMethodSchema,
    step: iphoneEnrollmentStepSchema,
    /** e.g. ATTESTATION_UNTRUSTED, ATTESTATION_KEY_MISMATCH, SIGNATURE_INVALID, APPLICATION_MISMATCH. */
    reason: z.string().max(64),
    detail: z.string().max(1024).optional(),
  }),
  key: (p) => p.enrollmentId,
});
