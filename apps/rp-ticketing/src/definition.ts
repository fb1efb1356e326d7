import { subscriptionsOf } from '@jpki/messaging';
import type { ServiceDefinition } from '@jpki/service-kit';
import { RP_TICKETING_SERVICE_NAME, type RpTicketingConfig } from './config';
import { rpTicketingMigrations } from './migrations';

export function rpTicketingDefinition(config: RpTicketingConfig): ServiceDefinition {
  // No inbox topics: a gate learns about status changes through OCSP (online) or its CRL cache (offline).
  return { name: RP_TICKETING_SERVICE_NAME, config, entities: [], migrations: rpTicketingMigrations, subscriptions: subscriptionsOf(RP_TICKETING_SERVICE_NAME) };
}

export const RP_TICKETING_OPENAPI = {
  title: 'rp-ticketing',
  description:
    'Ticketless relying party (SIMULATED): tickets bound to the buyer’s JPKI user-authentication certificate at purchase; entry ' +
    'gates verify the holder’s signature over a gate challenge with that certificate’s key, online by OCSP or offline from a ' +
    'cached CRL with a freshness limit. A ticket admits once.',
};
