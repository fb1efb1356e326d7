import { z } from 'zod/v4';
import { eseSeidSchema } from '@jpki/contracts';

export const manufactureSchema = z.object({ model: z.string().min(1).max(32).describe('a handset model of the catalogue, e.g. kumo-5g') }).strict();

export const listSecureElementsSchema = z.object({
  state: z.enum(['manufacturing', 'active', 'retired', 'deactivated']).optional(),
  model: z.string().max(32).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  after: eseSeidSchema.optional().describe('the last SEID of the previous page'),
});

export const auditQuerySchema = z.object({
  actor: z.string().max(128).optional(),
  target: z.string().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

export const secureElementViewSchema = z.object({
  seid: eseSeidSchema,
  model: z.string(),
  state: z.enum(['manufacturing', 'active', 'retired', 'deactivated']),
  isdAid: z.string(),
  isdKvn: z.number().int(),
  memoryQuotaBytes: z.number().int(),
  freeMemoryBytes: z.number().int().nullable().describe('as the eSE last reported it (GET DATA FF21)'),
  createdAt: z.string(),
  activatedAt: z.string().nullable(),
});
export type SecureElementView = z.infer<typeof secureElementViewSchema>;

export const secureElementPageSchema = z.object({
  items: z.array(secureElementViewSchema),
  next: eseSeidSchema.nullable().describe('`after` of the next page; null on the last'),
});
export type SecureElementPage = z.infer<typeof secureElementPageSchema>;
