import { Topics } from '@jpki/contracts';
import type { ServiceDefinition } from '@jpki/service-kit';
import { SERVICE_NAME, type CaConfig } from './config';
import { caMigrations } from './migrations';

export function caDefinition(config: CaConfig): ServiceDefinition {
  return {
    name: SERVICE_NAME,
    config,
    entities: [],
    migrations: caMigrations,
    subscriptions: [{ topic: Topics.caCommands, unknownTypes: 'dead-letter', producers: ['sp-tsm', 'lifecycle'] }],
  };
}

export const CA_OPENAPI = {
  title: 'jpki-ca',
  description:
    'SIMULATED J-LIS: JPKI CA hierarchy, test citizens’ virtual My Number cards, identity proofing, phone certificate issuance, ' +
    'revocation with card cascade, CRLs and an RFC 6960 OCSP responder. Nothing issued here is a real JPKI artefact.',
};
