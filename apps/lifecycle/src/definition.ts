import { subscriptionsOf } from '@jpki/messaging';
import type { ServiceDefinition } from '@jpki/service-kit';
import { SERVICE_NAME, type LifecycleConfig } from './config';
import { lifecycleMigrations } from './migrations';

/**
 * lifecycle: reads the CA's status changes, the SP-TSM's enrollments and service operations and the carriers'
 * notifications (all event topics: unknown types are ignored); publishes to ca.commands, sptsm.commands,
 * lifecycle.events and platform.clock.
 */
export function lifecycleDefinition(config: LifecycleConfig): ServiceDefinition {
  return {
    name: SERVICE_NAME,
    config,
    entities: [],
    migrations: lifecycleMigrations,
    subscriptions: subscriptionsOf(SERVICE_NAME),
  };
}

export const LIFECYCLE_OPENAPI = {
  title: 'lifecycle',
  description:
    'Lifecycle of phone certificates (SIMULATED JPKI on smartphones): loss (certificateHold + SSD lock), found (hold released + SSD unlocked), ' +
    'revocation for good, device change, contract cancellation, SIM swap, card revocation/renewal cascade, renewal on the same applet and expiry, ' +
    'and the environment’s simulation clock. Every operator call needs a bearer token with a role and is audited.',
};
