import { mnoTsmOf } from '@jpki/contracts';
import { subscriptionsOf } from '@jpki/messaging';
import type { ServiceDefinition } from '@jpki/service-kit';
import type { MnoTsmConfig, MnoTsmSettings } from './config';
import { mnoTsmMigrations } from './migrations';

/**
 * The carrier's service: commands only from the SP-TSM and for this carrier (anything else is dead-lettered with
 * PRODUCER_NOT_AUTHORIZED / PRODUCER_SIGNATURE_INVALID / CARRIER_MISMATCH, as routed in libs/contracts), OTA traffic
 * only from the vSIM; operator calls only with this carrier's operator tokens (or the platform integrator's).
 */
export function mnoTsmDefinition(config: MnoTsmConfig, settings: MnoTsmSettings): ServiceDefinition {
  return {
    name: mnoTsmOf(settings.carrier),
    config,
    operatorCarrier: settings.carrier,
    entities: [],
    migrations: mnoTsmMigrations,
    subscriptions: subscriptionsOf(mnoTsmOf(settings.carrier)),
  };
}
