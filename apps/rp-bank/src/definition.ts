import { subscriptionsOf } from '@jpki/messaging';
import type { ServiceDefinition } from '@jpki/service-kit';
import { RP_BANK_SERVICE_NAME, type RpBankConfig } from './config';
import { rpBankMigrations } from './migrations';

export function rpBankDefinition(config: RpBankConfig): ServiceDefinition {
  return {
    name: RP_BANK_SERVICE_NAME,
    config,
    entities: [],
    migrations: rpBankMigrations,
    // ca.events: status changes end sessions (only the CA's signed events count, as routed in libs/contracts).
    subscriptions: subscriptionsOf(RP_BANK_SERVICE_NAME),
  };
}

export const RP_BANK_OPENAPI = {
  title: 'rp-bank',
  description:
    'Internet-banking relying party (SIMULATED): login by challenge–response signed with the phone’s JPKI user-authentication ' +
    'key (SIM applet after PIN, iPhone key after biometrics); signature, chain to the user-authentication CA and OCSP status ' +
    'are verified; sessions are bound to the certificate and end when its status changes. Banking data is synthetic.',
};
