import { z } from 'zod/v4';
import { carrierSchema, hexSchema, iccidSchema, sealedBoxSchema } from './common';
import { defineMessage, perCarrierRoutes } from './envelope';
import { mnoTsmOf, Topics } from './topics';

/** The OTA bearer between an MNO-TSM and the SIMs of its fleet (the vSIM service): down only from that carrier's MNO-TSM. */
const down = perCarrierRoutes(Topics.otaDown, (carrier) => [mnoTsmOf(carrier)]);
const up = perCarrierRoutes(Topics.otaUp, () => ['vsim']);

export const OtaScriptRequested = defineMessage({
  type: 'ota.script.requested',
  schemaVersion: 1,
  ...down,
  schema: z.object({
    scriptId: z.string().min(8).max(128),
    carrier: carrierSchema,
    iccid: iccidSchema,
    apdus: z.array(hexSchema.min(8)).min(1).max(64),
  }),
  key: (p) => p.iccid,
});

export const OtaScriptCompleted = defineMessage({
  type: 'ota.script.completed',
  schemaVersion: 1,
  ...up,
  schema: z.object({
    scriptId: z.string().min(8).max(128),
    carrier: carrierSchema,
    iccid: iccidSchema,
    /** `unreachable`: the handset is off or out of coverage; `unknown-sim`: no such card. */
    outcome: z.enum(['executed', 'unreachable', 'unknown-sim']),
    responses: z.array(hexSchema),
  }),
  key: (p) => p.iccid,
});

export const SimManufactureRequested = defineMessage({
  type: 'ota.sim.manufacture-requested',
  schemaVersion: 1,
  ...down,
  schema: z.object({
    carrier: carrierSchema,
    iccid: iccidSchema,
    generation: z.string().min(1).max(32),
    memoryQuotaBytes: z.number().int().positive(),
    /** The ISD keyset ({kvn, enc, mac, dek} hex JSON) sealed to the vSIM service. */
    isdKeyset: sealedBoxSchema,
  }),
  key: (p) => p.iccid,
});

export const SimManufactured = defineMessage({
  type: 'ota.sim.manufactured',
  schemaVersion: 1,
  ...up,
  schema: z.object({ carrier: carrierSchema, iccid: iccidSchema, isdAid: z.string(), eid: hexSchema.optional() }),
  key: (p) => p.iccid,
});

/** The handset attached to the network again: queued OTA work for this SIM can run now. */
export const SimReachable = defineMessage({
  type: 'ota.sim.reachable',
  schemaVersion: 1,
  ...up,
  schema: z.object({ carrier: carrierSchema, iccid: iccidSchema, at: z.iso.datetime() }),
  key: (p) => p.iccid,
});
