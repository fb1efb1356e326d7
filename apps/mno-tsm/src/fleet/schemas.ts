import { z } from 'zod/v4';
import { iccidSchema, msisdnSchema, mvnoSchema } from '@jpki/contracts';
import { hasValidLuhn } from '../domain/iccid';

export const imeiSchema = z
  .string()
  .regex(/^\d{15}$/, 'IMEI: 15 digits')
  .refine(hasValidLuhn, 'IMEI: Luhn check digit does not match');

export const createSubscriberSchema = z
  .object({
    msisdn: msisdnSchema.optional().describe('allocated by the carrier when absent'),
    mvno: mvnoSchema.optional().describe('an MVNO hosted by this carrier'),
    generation: z.string().min(1).max(32).optional().describe("SIM generation; defaults to the profile's first applet-capable one"),
    imei: imeiSchema.optional(),
  })
  .strict();

export const simSwapSchema = z.object({ generation: z.string().min(1).max(32).optional() }).strict();
export const msisdnChangeSchema = z.object({ newMsisdn: msisdnSchema.optional().describe('allocated when absent') }).strict();
export const handsetChangeSchema = z.object({ imei: imeiSchema }).strict();
export const reasonSchema = z.object({ note: z.string().max(500).optional() }).strict();

export const listSubscribersSchema = z.object({
  status: z.enum(['provisioning', 'active', 'suspended', 'cancelled']).optional(),
  mvno: mvnoSchema.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

export const auditQuerySchema = z.object({
  actor: z.string().max(128).optional(),
  target: z.string().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

export const operationsQuerySchema = z.object({
  iccid: iccidSchema.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

export const subscriberViewSchema = z.object({
  id: z.uuid(),
  msisdn: msisdnSchema,
  iccid: iccidSchema,
  mvno: mvnoSchema.nullable(),
  status: z.enum(['provisioning', 'active', 'suspended', 'cancelled']),
  imei: z.string().nullable(),
  sim: z.object({ iccid: iccidSchema, generation: z.string(), state: z.string() }),
  pendingSimSwap: iccidSchema.nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type SubscriberView = z.infer<typeof subscriberViewSchema>;

export const simViewSchema = z.object({
  iccid: iccidSchema,
  generation: z.string(),
  state: z.string(),
  isdAid: z.string(),
  isdKvn: z.number(),
  memoryQuotaBytes: z.number(),
  freeMemoryBytes: z.number().nullable(),
  replacesIccid: iccidSchema.nullable(),
  ssds: z.array(
    z.object({
      ssdAid: z.string(),
      state: z.string(),
      requestId: z.string(),
      requestedBy: z.string(),
      temporaryKvn: z.number().nullable(),
      temporaryKcvs: z.record(z.string(), z.string()).nullable(),
      keysetRecipient: z.string().nullable(),
      handedOverAt: z.string().nullable(),
      keysStoredByMno: z.boolean(),
    }),
  ),
  queuedOperations: z.array(z.object({ requestId: z.string(), operation: z.string(), ssdAid: z.string(), state: z.string() })),
});

export const otaBacklogSchema = z.object({
  carrier: z.string(),
  at: z.string().describe('the service clock when counted'),
  states: z.array(
    z.object({
      state: z
        .enum(['waiting-for-phone', 'pending', 'running', 'forwarding'])
        .describe('waiting-for-phone: a queued lock/unlock/delete the card was found unreachable for; pending: queued behind another; running: on its way; forwarding: an SP script sent, its answer awaited'),
      operation: z.enum(['lock', 'unlock', 'delete', 'script']),
      count: z.number().int(),
      oldestAt: z.string(),
      oldestAgeSeconds: z.number().int(),
    }),
  ),
});
export type OtaBacklog = z.infer<typeof otaBacklogSchema>;
