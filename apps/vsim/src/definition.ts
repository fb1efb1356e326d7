import { subscriptionsOf } from '@jpki/messaging';
import type { ServiceDefinition } from '@jpki/service-kit';
import type { VsimConfig } from './config';
import { vsimMigrations } from './migrations';

export const VSIM_SERVICE_NAME = 'vsim';

export interface VsimServiceDefinition extends ServiceDefinition {
  config: VsimConfig;
}

/**
 * One OTA down topic per carrier, only that carrier's MNO-TSM may send on it; and `ota.ese.down`, only the
 * SE-management TSM may send on it (signed envelopes, routed in libs/contracts).
 */
export function vsimDefinition(config: VsimConfig): VsimServiceDefinition {
  return { name: VSIM_SERVICE_NAME, config, entities: [], migrations: vsimMigrations, subscriptions: subscriptionsOf(VSIM_SERVICE_NAME) };
}
