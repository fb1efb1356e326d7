import { subscriptionsOf } from '@jpki/messaging';
import type { ServiceDefinition } from '@jpki/service-kit';
import { SERVICE_NAME, type CaConfig } from './config';
import { caMigrations } from './migrations';

export function caDefinition(config: CaConfig): ServiceDefinition {
  return {
    name: SERVICE_NAME,
    config,
    entities: [],
    migrations: caMigrations,
    // ca.commands: what each producer may ask is routed in libs/contracts and refined by purpose in ra/command-policy.ts.
    subscriptions: subscriptionsOf(SERVICE_NAME),
    // OCSP, CRLs and CA certificates must answer relying parties through a broker outage.
    servesWithoutBroker: true,
  };
}

export const CA_OPENAPI = {
  title: 'jpki-ca',
  description:
    'SIMULATED J-LIS: JPKI CA hierarchy, test citizens’ virtual My Number cards, identity proofing, phone certificate issuance, ' +
    'revocation with card cascade, CRLs and an RFC 6960 OCSP responder. Nothing issued here is a real JPKI artefact.',
};
