import { z } from 'zod/v4';
import {
  aidSchema,
  carrierSchema,
  eseAddress,
  hexSchema,
  iccidSchema,
  msisdnSchema,
  mvnoSchema,
  requestIdSchema,
  sealedBoxSchema,
  seAddressed,
  seidOf,
} from './common';
import { defineMessage, perCarrierRoutes, perSecureElementRoutes } from './envelope';
import { mnoTsmOf, SE_TSM, Topics } from './topics';

/**
 * SP-TSM ↔ MNO-TSM operations, one topic pair per carrier. Names are GP-Messaging-inspired
 * (the normative GlobalPlatform message names are not public; see docs/DESIGN.md §6.4).
 */
/**
 * Commands from the SP-TSM on the carrier's command topic; replies and notifications from that carrier's MNO-TSM only.
 * The card operations travel the same way to and from the SE-management TSM when they address an embedded SE (`seid`).
 */
const toTsm = perSecureElementRoutes(Topics.mnoCommands, Topics.seCommands, () => ['sp-tsm']);
const fromTsm = perSecureElementRoutes(Topics.mnoEvents, Topics.seEvents, (issuer) => [issuer === 'ese' ? SE_TSM : mnoTsmOf(issuer)]);
const fromMno = perCarrierRoutes(Topics.mnoEvents, (carrier) => [mnoTsmOf(carrier)]);
const apduList = z.array(hexSchema.min(8).max(2 * 65_544)).min(1).max(64);
const eligibilityAnswer = {
  requestId: requestIdSchema,
  eligible: z.boolean(),
  /** e.g. SUBSCRIBER_UNKNOWN, SUBSCRIBER_NOT_ACTIVE, SIM_GENERATION_UNSUPPORTED, INSUFFICIENT_MEMORY, MVNO_MISMATCH, SE_UNKNOWN. */
  reason: z.string().max(64).optional(),
  freeMemoryBytes: z.number().int().nonnegative().optional(),
  maxApduDataBytes: z.number().int().positive().optional(),
  scp03KeyBytes: z.union([z.literal(16), z.literal(24), z.literal(32)]).optional(),
  /** S8 or S16 mode of the SSD the TSM will create (absent = S8). */
  scp03SMode: z.union([z.literal(8), z.literal(16)]).optional(),
};
const eligibilityQuestion = {
  requestId: requestIdSchema,
  applet: z.object({ aid: aidSchema, requiredMemoryBytes: z.number().int().positive() }),
};

// ---------- SP-TSM → MNO-TSM ----------

export const EligibilityRequested = defineMessage({
  type: 'mno.eligibility.requested',
  schemaVersion: 1,
  ...toTsm,
  schema: z.union([
    z.object({ ...eligibilityQuestion, carrier: carrierSchema, msisdn: msisdnSchema, mvno: mvnoSchema.optional() }),
    z.object({ ...eligibilityQuestion, ...eseAddress }),
  ]),
  key: (p) => ('seid' in p ? p.seid : p.msisdn),
});

export const SsdCreationRequested = defineMessage({
  type: 'mno.ssd-creation.requested',
  schemaVersion: 1,
  ...toTsm,
  schema: seAddressed({
    requestId: requestIdSchema,
    ssdAid: aidSchema,
    /** Who receives the temporary keyset (sealed to that service's transport key). */
    keysetRecipient: z.string().min(1).max(64),
  }),
  key: seidOf,
});

export const ScriptForwardRequested = defineMessage({
  type: 'mno.script.forward-requested',
  schemaVersion: 1,
  ...toTsm,
  schema: seAddressed({
    requestId: requestIdSchema,
    /** Command APDUs (hex), mostly SCP03-wrapped by the SP-TSM: the TSM forwards them unread. */
    apdus: apduList,
  }),
  key: seidOf,
});

export const SsdStatusChangeRequested = defineMessage({
  type: 'mno.ssd-status.requested',
  schemaVersion: 1,
  ...toTsm,
  schema: seAddressed({
    requestId: requestIdSchema,
    ssdAid: aidSchema,
    action: z.enum(['lock', 'unlock']),
    /** Queue the change until the card is reachable instead of failing (a lost phone is often off). */
    queueIfUnreachable: z.boolean().default(true),
  }),
  key: seidOf,
});

export const SsdDeletionRequested = defineMessage({
  type: 'mno.ssd-deletion.requested',
  schemaVersion: 1,
  ...toTsm,
  schema: seAddressed({
    requestId: requestIdSchema,
    ssdAid: aidSchema,
    /** Queue the deletion until the card is reachable instead of failing. */
    queueIfUnreachable: z.boolean(),
  }),
  key: seidOf,
});

export const AuditRequested = defineMessage({
  type: 'mno.audit.requested',
  schemaVersion: 1,
  ...toTsm,
  schema: seAddressed({ requestId: requestIdSchema }),
  key: seidOf,
});

// ---------- MNO-TSM → SP-TSM ----------

export const EligibilityAnswered = defineMessage({
  type: 'mno.eligibility.answered',
  schemaVersion: 1,
  ...fromTsm,
  schema: z.union([
    z.object({
      ...eligibilityAnswer,
      carrier: carrierSchema,
      msisdn: msisdnSchema,
      iccid: iccidSchema.optional(),
      mvno: mvnoSchema.optional(),
      simGeneration: z.string().max(32).optional(),
    }),
    z.object({ ...eligibilityAnswer, ...eseAddress, /** The handset model whose eSE it is. */ model: z.string().max(32).optional() }),
  ]),
  key: (p) => ('seid' in p ? p.seid : p.msisdn),
});

export const SsdCreated = defineMessage({
  type: 'mno.ssd.created',
  schemaVersion: 1,
  ...fromTsm,
  schema: seAddressed({
    requestId: requestIdSchema,
    ssdAid: aidSchema,
    /** KVN of the temporary keyset; the keyset itself ({kvn, enc, mac, dek} as hex JSON) is sealed. */
    kvn: z.number().int().min(1).max(0x7f),
    temporaryKeyset: sealedBoxSchema,
  }),
  key: seidOf,
});

export const ScriptForwarded = defineMessage({
  type: 'mno.script.forwarded',
  schemaVersion: 1,
  ...fromTsm,
  schema: seAddressed({
    requestId: requestIdSchema,
    outcome: z.enum(['executed', 'unreachable']),
    /** Response APDUs (data ‖ SW, hex), one per executed command; execution stops at the first error SW. */
    responses: z.array(hexSchema),
  }),
  key: seidOf,
});

export const SsdOperationCompleted = defineMessage({
  type: 'mno.ssd-operation.completed',
  schemaVersion: 1,
  ...fromTsm,
  schema: seAddressed({
    requestId: requestIdSchema,
    ssdAid: aidSchema,
    operation: z.enum(['lock', 'unlock', 'delete']),
    outcome: z.enum(['done', 'queued', 'not-present']),
  }),
  key: seidOf,
});

export const AuditCompleted = defineMessage({
  type: 'mno.audit.completed',
  schemaVersion: 1,
  ...fromTsm,
  schema: seAddressed({
    requestId: requestIdSchema,
    freeMemoryBytes: z.number().int().nonnegative(),
    entries: z.array(z.object({ aid: aidSchema, kind: z.enum(['isd', 'ssd', 'application', 'load-file']), lifecycle: z.number().int(), privileges: hexSchema })),
  }),
  key: seidOf,
});

const operationFailure = {
  requestId: requestIdSchema,
  operation: z.string().max(64),
  /** e.g. SIM_UNKNOWN, SIM_UNREACHABLE, CARD_REJECTED (with the status word), NOT_AUTHORIZED. */
  reason: z.string().max(64),
  statusWord: z.string().regex(/^[0-9A-F]{4}$/).optional(),
  detail: z.string().max(1024).optional(),
};

export const MnoOperationFailed = defineMessage({
  type: 'mno.operation.failed',
  schemaVersion: 1,
  ...fromTsm,
  schema: z.union([z.object({ ...operationFailure, carrier: carrierSchema }), z.object({ ...operationFailure, ...eseAddress })]),
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
