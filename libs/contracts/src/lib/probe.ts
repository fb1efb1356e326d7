import { z } from 'zod/v4';
import { defineMessage, route } from './envelope';
import { Topics } from './topics';

/** Diagnostics message used by messaging self-tests and smoke checks. */
export const ProbePing = defineMessage({
  type: 'platform.probe.ping',
  schemaVersion: 1,
  ...route(Topics.platformProbe, ['probe']),
  schema: z.object({
    probeId: z.string().min(1).max(64),
    sequence: z.number().int().nonnegative(),
    note: z.string().max(256).optional(),
  }),
  key: (p) => p.probeId,
});
