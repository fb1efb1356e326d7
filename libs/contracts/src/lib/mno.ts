import { z } from 'zod/v4';
import { aidSchema, carrierSchema, hexSchema, iccidSchema, msisdnSchema, mvnoSchema, requestIdSchema, sealedBoxSchema } from './common';
import { defineMessage, perCarrierRoutes } from './envelope';
import { mnoTsmOf, Topics } from './topics';

/**
 * SP-TSM ↔ MNO-TSM operations, one topic pair per carrier. Names are GP-Messaging-inspired
 * (the normative GlobalPlatform message names are not public; see docs/DESIGN.md §6.4).
 */
/** Commands from the SP-TSM on the carrier's command topic; replies and notifications from that carrier's MNO-TSM only. */
const toMno = perCarrierRoutes(Topics.mnoCommands, () => ['sp-tsm']);
const fromMno = perCarrierRoutes(Topics.mnoEvents, (carrier) => [mnoTsmOf(carrier)]);
const apduList = z.array(hexSchema.min(8).max(2 * 65_544)).min(1).max(64);

// ---------- SP-TSM → MNO-TSM ----------

export const EligibilityRequested = defineMessage({
  type: 'mno.eligibility.requested',
  schemaVersion: 1,
  ...toMno,
  schema: z.object({
    requestId: requestIdSchema,
    carrier: carrierSchema,
    msisdn: msisdnSchema,
    mvno: mvnoSchema.optional(),
    applet: z.object({ aid: aidSchema, requiredMemoryBytes: z.number().int().positive() }),
  }),
  key: (p) => p.msisdn,
});

export const SsdCreationRequested = defineMessage({
  type: 'mno.ssd-creation.requested',
  schemaVersion: 1,
  ...toMno,
  schema: z.object({
    requestId: requestIdSchema,
    carrier: carrierSchema,
    iccid: iccidSchema,
    ssdAid: aidSchema,
    /** Who receives the temporary keyset (sealed to that service's transport key). */
    keysetRecipient: z.string().min(1).max(64),
  }),
  key: (p) => p.iccid,
});

export const ScriptForwardRequested = defineMessage({
  type: 'mno.script.forward-requested',
  schemaVersion: 1,
  ...toMno,
  schema: z.object({
    requestId: requestIdSchema,
    carrier: carrierSchema,
    iccid: iccidSchema,
    /** Command APDUs (hex), mostly SCP03-wrapped by the SP-TSM: the MNO-TSM forwards them unread. */
    apdus: apduList,
  }),
  key: (p) => p.iccid,
});

export const SsdStatusChangeRequested = defineMessage({
  type: 'mno.ssd-status.requested',
  schemaVersion: 1,
  ...toMno,
  schema: z.object({
    requestId: requestIdSchema,
    carrier: carrierSchema,
    iccid: iccidSchema,
    ssdAid: aidSchema,
    action: z.enum(['lock', 'unlock']),
    /** Queue the change until the SIM is reachable instead of failing (a lost phone is often off). */
    queueIfUnreachable: z.boolean().default(true),
  }),
  key: (p) => p.iccid,
});

export const SsdDeletionRequested = defineMessage({
  type: 'mno.ssd-deletion.requested',
  schemaVersion: 1,
  ...toMno,
  schema: z.object({
    requestId: requestIdSchema,
    carrier: carrierSchema,
    iccid: iccidSchema,
    ssdAid: aidSchema,
    /** Queue the deletion until the SIM is reachable instead of failing. */
    queueIfUnreachable: z.boolean(),
  }),
  key: (p) => p.iccid,
});

export const AuditRequested = defineMessage({
  type: 'mno.audit.requested',
  schemaVersion: 1,
  ...toMno,
  schema: z.object({ requestId: requestIdSchema, carrier: carrierSchema, iccid: iccidSchema }),
  key: (p) => p.iccid,
});

// ---------- MNO-TSM → SP-TSM ----------

export const EligibilityAnswered = defineMessage({
  type: 'mno.eligibility.answered',
  schemaVersion: 1,
  ...fromMno,
  schema: z.object({
    requestId: requestIdSchema,
    carrier: carrierSchema,
    msisdn: msisdnSchema,
    eligible: z.boolean(),
    /** e.g. SUBSCRIBER_UNKNOWN, SUBSCRIBER_NOT_ACTIVE, SIM_GENERATION_UNSUPPORTED, INSUFFICIENT_MEMORY, MVNO_MISMATCH. */
    reason: z.string().max(64).optional(),
    iccid: iccidSchema.optional(),
    mvno: mvnoSchema.optional(),
    simGeneration: z.string().max(32).optional(),
    freeMemoryBytes: z.number().int().nonnegative().optional(),
    maxApduDataBytes: z.number().int().positive().optional(),
    scp03KeyBytes: z.union([z.literal(16), z.literal(24), z.literal(32)]).optional(),
    /** S8 or S16 mode of the SSD the carrier will create (absent = S8). */
    scp03SMode: z.union([z.literal(8), z.literal(16)]).optional(),
  }),
  key: (p) => p.msisdn,
});

export const SsdCreated = defineMessage({
  type: 'mno.ssd.created',
  schemaVersion: 1,
  ...fromMno,
  schema: z.object({
    requestId: requestIdSchema,
    carrier: carrierSchema,
    iccid: iccidSchema,
    ssdAid: aidSchema,
    /** KVN of the temporary keyset; the keyset itself ({kvn, enc, mac, dek} as hex JSON) is sealed. */
    kvn: z.number().int().min(1).max(0x7f),
    temporaryKeyset: sealedBoxSchema,
  }),
  key: (p) => p.iccid,
});

export const ScriptForwarded = defineMessage({
  type: 'mno.script.forwarded',
  schemaVersion: 1,
  ...fromMno,
  schema: z.object({
    requestId: requestIdSchema,
    carrier: carrierSchema,
    iccid: iccidSchema,
    outcome: z.enum(['executed', 'unreachable']),
    /** Response APDUs (data ‖ SW, hex), one per executed command; execution stops at the first error SW. */
    responses: z.array(hexSchema),
  }),
  key: (p) => p.iccid,
});

export const SsdOperationCompleted = defineMessage({
  type: 'mno.ssd-operation.completed',
  schemaVersion: 1,
  ...fromMno,
  schema: z.object({
    requestId: requestIdSchema,
    carrier: carrierSchema,
    iccid: iccidSchema,
    ssdAid: aidSchema,
    operation: z.enum(['lock', 'unlock', 'delete']),
    outcome: z.enum(['done', 'queued', 'not-present']),
  }),
  key: (p) => p.iccid,
});

export const AuditCompleted = defineMessage({
  type: 'mno.audit.completed',
  schemaVersion: 1,
  ...fromMno,
  schema: z.object({
    requestId: requestIdSchema,
    carrier: carrierSchema,
    iccid: iccidSchema,
    freeMemoryBytes: z.number().int().nonnegative(),
    entries: z.array(z.object({ aid: aidSchema, kind: z.enum(['isd', 'ssd', 'application', 'load-file']), lifecycle: z.number().int(), privileges: hexSchema })),
  }),
  key: (p) => p.iccid,
});

export const MnoOperationFailed = defineMessage({
  type: 'mno.operation.failed',
  schemaVersion: 1,
  ...fromMno,
  schema: z.object({
    requestId: requestIdSchema,
    carrier: carrierSchema,
    operation: z.string().max(64),
    /** e.g. SIM_UNKNOWN, SIM_UNREACHABLE, CARD_REJECTED (with the status word), NOT_AUTHORIZED. */
    reason: z.string().max(64),
    statusWord: z.string().regex(/^[0-9A-F]{4}$/).optional(),
    detail: z.string().max(1024).optional(),
  }),
  key: (p) => p.requestId,
});

// ---------- MNO-TSM notifications ----------

export const SimSwapped = defineMessage({
  type: 'mno.subscriber.sim-swapped',
  schemaVersion: 1,
  ...fromMno,
  schema: z.object({ carrier: carrierSchema, msisdn: msisdnSchema, oldIccid: iccidSchema, newIccid: iccidSchema, at: z.iso.datetime() }),
  key: (p) => p.msisdn,
});

export const MsisdnChanged = defineMessage({
  type: 'mno.subscriber.msisdn-changed',
  schemaVersion: 1,
  ...fromMno,
  schema: z.object({ carrier: carrierSchema, iccid: iccidSchema, msisdn: msisdnSchema, oldMsisdn: msisdnSchema, at: z.iso.datetime() }),
  key: (p) => p.msisdn,
});

export const HandsetChanged = defineMessage({
  type: 'mno.subscriber.handset-changed',
  schemaVersion: 1,
  ...fromMno,
  schema: z.object({ carrier: carrierSchema, msisdn: msisdnSchema, iccid: iccidSchema, imei: z.string().regex(/^\d{15}$/), at: z.iso.datetime() }),
  key: (p) => p.msisdn,
});

export const ContractEnded = defineMessage({
  type: 'mno.subscriber.contract-ended',
  schemaVersion: 1,
  ...fromMno,
  schema: z.object({ carrier: carrierSchema, msisdn: msisdnSchema, iccid: iccidSchema, mvno: mvnoSchema.optional(), at: z.iso.datetime() }),
  key: (p) => p.msisdn,
});
