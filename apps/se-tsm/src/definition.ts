import { SE_TSM } from '@jpki/contracts';
import { subscriptionsOf } from '@jpki/messaging';
import type { ServiceDefinition } from '@jpki/service-kit';
import type { SeTsmConfig } from './config';
import { seTsmMigrations } from './migrations';

/**
 * The SE-management TSM: commands only from the SP-TSM and only for eSEs (anything else is dead-lettered with
 * PRODUCER_NOT_AUTHORIZED / PRODUCER_SIGNATURE_INVALID / CARRIER_MISMATCH, as routed in libs/contracts), OTA traffic
 * only from the vSIM; operator calls only with platform tokens naming `se-tsm`.
 */
export function seTsmDefinition(config: SeTsmConfig): ServiceDefinition {
  return {
    name: SE_TSM,
    config,
    entities: [],
    migrations: seTsmMigrations,
    subscriptions: subscriptionsOf(SE_TSM),
  };
}
