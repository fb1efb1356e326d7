import { z } from 'zod/v4';
import { baseConfigSchema, loadConfig } from '@jpki/service-kit';

export const SERVICE_NAME = 'lifecycle';

export const lifecycleConfigSchema = baseConfigSchema.extend({
  HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(7500),
  DB_SCHEMA: baseConfigSchema.shape.DB_SCHEMA.default('lifecycle'),
  /** Deadline of one attempt of a case step waiting for the CA or the SP-TSM (a queued card operation answers at once). */
  CASE_STEP_TIMEOUT_MS: z.coerce.number().int().positive().default(60_000),
  CASE_STEP_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(10),
  /** Renewal of a phone certificate opens this many days before its notAfter (docs/DESIGN.md §3.3: 3 months). */
  RENEWAL_WINDOW_DAYS: z.coerce.number().int().min(1).max(365).default(90),
  /** How often the renewal and expiry sweep runs (machine time); 0 disables the timer (POST /renewals/sweep still works). */
  RENEWAL_SWEEP_INTERVAL_MS: z.coerce.number().int().min(0).default(60_000),
  /** A renewal that failed for a transient reason (phone off…) is tried again after this much simulated time. */
  RENEWAL_RETRY_AFTER_MS: z.coerce.number().int().min(0).default(86_400_000),
  /** After the simulation clock moves, the sweep waits this long so every service has followed the clock. */
  CLOCK_SETTLE_MS: z.coerce.number().int().min(0).max(60_000).default(2_000),
  SAGA_CONCURRENCY: z.coerce.number().int().min(1).max(512).default(128),
});
export type LifecycleConfig = z.infer<typeof lifecycleConfigSchema>;

export const loadLifecycleConfig = (env: NodeJS.ProcessEnv = process.env): LifecycleConfig => loadConfig(lifecycleConfigSchema, env);
