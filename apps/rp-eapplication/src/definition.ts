import type { ServiceDefinition } from '@jpki/service-kit';
import { RP_EAPPLICATION_SERVICE_NAME, type RpEapplicationConfig } from './config';
import { rpEapplicationMigrations } from './migrations';

export function rpEapplicationDefinition(config: RpEapplicationConfig): ServiceDefinition {
  // No inbox topics: every application asks the signer's status (OCSP and CRL) when it arrives, and keeps no session.
  return { name: RP_EAPPLICATION_SERVICE_NAME, config, entities: [], migrations: rpEapplicationMigrations, subscriptions: [] };
}

export const RP_EAPPLICATION_OPENAPI = {
  title: 'rp-eapplication',
  description:
    'E-application (電子申請) relying party (SIMULATED): a citizen submits a document with a CMS SignedData made with their JPKI ' +
    'signing key (My Number card or phone); the signature and message digest, the chain to the digital-signature CA and the ' +
    'status by OCSP and CRL are verified; an accepted application is stored with the signer’s 基本4情報.',
};
