import { z } from 'zod/v4';
import { aidSchema, carrierSchema, hexSchema, seidSchema, seKindSchema } from '@jpki/contracts';
import { OTA_BEARERS } from './bearer/ota-bearer';

/** Request and response bodies of the vSIM's HTTP API (validated with zod, documented in OpenAPI). */

export const openChannelBody = z.object({
  aid: aidSchema.describe('AID of the applet to open a logical channel to (an ARA rule must allow it)'),
});

export const openChannelResponse = z.object({
  channel: z.number().int().min(1).max(3),
  selectResponse: hexSchema.describe('response to SELECT [by name]: FCI ‖ SW'),
});

export const transmitBody = z.object({
  apdu: z.string().max(16_384).describe('command APDU in hex; the channel bits of the CLA are set by the terminal'),
});

export const transmitResponse = z.object({
  response: hexSchema.describe('response APDU: data ‖ SW'),
  sw: z.string().regex(/^[0-9A-F]{4}$/),
});

export const bearerChange = z
  .object({
    latencyMs: z.int().min(0).max(60_000).optional().describe('delay of one transit (ms)'),
    lossRate: z.number().min(0).max(1).optional().describe('probability that a message is lost, drawn per direction'),
  })
  .strict()
  .refine((b) => b.latencyMs !== undefined || b.lossRate !== undefined, { message: 'give latencyMs, lossRate or both' });

export const bearerState = z.object({
  carrier: z.enum(OTA_BEARERS).describe("the carrier whose OTA bearer it is, or `ese`: the handset push channel to embedded SEs"),
  latencyMs: z.number(),
  lossRate: z.number(),
  degraded: z.boolean().describe('true while the bearer runs other than the configured profile'),
});

export const powerBody = z.object({
  power: z.enum(['on', 'off']).describe('off = airplane mode / out of coverage; on = attached again (publishes ota.sim.reachable)'),
});

/** The SIM's ICCID, or the eSE's SEID. */
const seid = seidSchema.describe("the card's SEID: a SIM's ICCID, or an embedded SE's E5 and 18 hex digits");
/** An eSE belongs to no carrier. */
const carrier = carrierSchema.nullable().describe("the SIM's carrier; null for an embedded SE");

export const powerResponse = z.object({
  seid,
  carrier,
  power: z.enum(['on', 'off']),
  changed: z.boolean().describe('false when the handset was already in that state'),
  changedAt: z.string().nullable(),
});

export const handsetBindingBody = z.object({
  imei: z.string().describe('the handset the card is in: 15 digits, the last one the Luhn check digit'),
  devicePublicKey: z.string().max(200).describe('the handset\'s device key: base64 DER SubjectPublicKeyInfo of an Ed25519 public key'),
});

export const handsetBindingResponse = z.object({
  seid,
  imei: z.string(),
  boundAt: z.string(),
  changed: z.boolean().describe('false when the card was already in this handset with this key; a change power-cycles the card'),
});

const lifeCycle = z.object({ value: z.string(), name: z.string() });

export const seSummary = z.object({
  seid,
  kind: seKindSchema.describe('uicc: a carrier\'s SIM; ese: a handset\'s embedded SE'),
  carrier,
  generation: z.string().describe('the SIM generation, or the handset model of an eSE'),
  handset: z.object({
    power: z.enum(['on', 'off']),
    changedAt: z.string().nullable(),
    imei: z.string().nullable().describe('the handset the card is in (PUT /sims/{seid}/handset-binding); null: in none'),
    boundAt: z.string().nullable(),
  }),
  revision: z.number().int(),
  manufacturedAt: z.string(),
  updatedAt: z.string(),
  card: z.object({
    lifeCycle,
    isdAid: z.string(),
    memory: z.object({ quotaBytes: z.number().int(), usedBytes: z.number().int(), freeBytes: z.number().int() }),
    registry: z.array(
      z.object({
        aid: z.string(),
        kind: z.enum(['ISD', 'SSD', 'APP', 'ELF']),
        lifeCycle,
        associatedSd: z.string().nullable(),
        privileges: z.array(z.string()).optional(),
        modules: z.array(z.string()).optional(),
        /** A security domain's SCP03 "i" parameter and the S8/S16 mode it selects. */
        scp03: z.object({ i: z.string(), mode: z.enum(['S8', 'S16']) }).optional(),
        keysets: z
          .array(
            z.object({
              kvn: z.string(),
              keyBits: z.number().int(),
              complete: z.boolean(),
              sequenceCounter: z.number().int(),
              failedAuthentications: z.number().int(),
              blocked: z.boolean(),
            }),
          )
          .optional(),
        jpki: z
          .object({
            role: z.enum(['user-authentication', 'signing']).describe('the key this JPKI instance holds: PIN (user authentication) or password (signing)'),
            pinSet: z.boolean(),
            pinTriesRemaining: z.number().int(),
            contentKey: z.boolean(),
            keyPair: z.boolean(),
            certificate: z.boolean(),
          })
          .optional(),
      }),
    ),
  }),
  openChannels: z.array(
    z.object({ channel: z.number().int(), aid: z.string(), openedAt: z.string(), imei: z.string().describe('the handset that opened it'), lastUsedAt: z.string() }),
  ),
});

export type SeSummary = z.infer<typeof seSummary>;
