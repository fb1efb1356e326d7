import { z } from 'zod/v4';
import { hexSchema, sealedBoxSchema, seAddressed, seidOf } from './common';
import { defineMessage, perSecureElementRoutes } from './envelope';
import { mnoTsmOf, SE_TSM, Topics } from './topics';

/**
 * The OTA bearer between an MNO-TSM and the SIMs of its fleet (the vSIM service): down only from that carrier's
 * MNO-TSM. An embedded SE is reached the same way over the handset's push channel (`ota.ese.*`), down only from the
 * SE-management TSM.
 */
const down = perSecureElementRoutes(Topics.otaDown, Topics.otaEseDown, (issuer) => [issuer === 'ese' ? SE_TSM : mnoTsmOf(issuer)]);
const up = perSecureElementRoutes(Topics.otaUp, Topics.otaEseUp, () => ['vsim']);

export const OtaScriptRequested = defineMessage({
  type: 'ota.script.requested',
  schemaVersion: 1,
  ...down,
  schema: seAddressed({
    scriptId: z.string().min(8).max(128),
    apdus: z.array(hexSchema.min(8)).min(1).max(64),
  }),
  key: seidOf,
});

export const OtaScriptCompleted = defineMessage({
  type: 'ota.script.completed',
  schemaVersion: 1,
  ...up,
  schema: seAddressed({
    scriptId: z.string().min(8).max(128),
    /** `unreachable`: the handset is off or out of coverage; `unknown-sim`: no such card. */
    outcome: z.enum(['executed', 'unreachable', 'unknown-sim']),
    responses: z.array(hexSchema),
  }),
  key: seidOf,
});

export const SimManufactureRequested = defineMessage({
  type: 'ota.sim.manufacture-requested',
  schemaVersion: 1,
  ...down,
  schema: seAddressed({
    /** The SIM generation, or the handset model of an eSE. */
    generation: z.string().min(1).max(32),
    memoryQuotaBytes: z.number().int().positive(),
    /** The ISD keyset ({kvn, enc, mac, dek} hex JSON) sealed to the vSIM service. */
    isdKeyset: sealedBoxSchema,
  }),
  key: seidOf,
});

export const SimManufactured = defineMessage({
  type: 'ota.sim.manufactured',
  schemaVersion: 1,
  ...up,
  schema: seAddressed({ isdAid: z.string(), eid: hexSchema.optional() }),
  key: seidOf,
});

/** The handset attached to the network again: queued OTA work for this SIM can run now. */
export const SimReachable = defineMessage({
  type: 'ota.sim.reachable',
  schemaVersion: 1,
  ...up,
  schema: seAddressed({ at: z.iso.datetime() }),
  key: seidOf,
});
