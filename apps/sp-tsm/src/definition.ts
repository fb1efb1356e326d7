import { subscriptionsOf } from '@jpki/messaging';
import type { ServiceDefinition } from '@jpki/service-kit';
import type { SpTsmConfig } from './config';
import { IphoneEnrollments1700000002100 } from './iphone';
import { spTsmMigrations } from './migrations';

export function spTsmDefinition(config: SpTsmConfig): ServiceDefinition {
  return {
    name: 'sp-tsm',
    config,
    entities: [],
    migrations: [...spTsmMigrations, IphoneEnrollments1700000002100],
    // ca.events, mno.<carrier>.events, sptsm.commands (who may send what: the routes in libs/contracts).
    subscriptions: subscriptionsOf('sp-tsm'),
  };
}

export const SP_TSM_OPENAPI = {
  title: 'SP-TSM',
  description:
    'Service provider TSM of the JPKI smartphone service: enrollment sagas that prove identity at the JPKI CA, ' +
    'obtain an SSD from the carrier, take it over with the SP keyset, install and personalize the JPKI applet, ' +
    'and have the certificate issued.',
};
