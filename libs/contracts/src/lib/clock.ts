import { z } from 'zod/v4';
import { defineMessage, route } from './envelope';
import { Topics } from './topics';

/**
 * The environment's simulation clock moved: every service instance reads time as the machine's
 * clock plus `offsetMs` from now on (integrators jump forward to see expiry and renewal).
 */
export const SimulationClockSet = defineMessage({
  type: 'platform.clock.set',
  schemaVersion: 1,
  // Only the clock authority (lifecycle, POST /clock) moves the clock; every service's ClockFeed checks its signature.
  ...route(Topics.platformClock, ['lifecycle']),
  schema: z.object({
    offsetMs: z.number().int().nonnegative(),
    setBy: z.string().min(1).max(128),
    reason: z.string().max(256).optional(),
  }),
  key: () => 'clock',
});
