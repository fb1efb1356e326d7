import { CARRIERS, Topics } from '@jpki/contracts';
import type { Subscription } from '@jpki/messaging';
import type { ServiceDefinition } from '@jpki/service-kit';
import type { VsimConfig } from './config';
import { vsimMigrations } from './migrations';

export const VSIM_SERVICE_NAME = 'vsim';

/** One command topic per carrier; only that carrier's MNO-TSM may send on it (signed envelopes). */
export const vsimSubscriptions: Subscription[] = CARRIERS.map((carrier) => ({
  topic: Topics.otaDown[carrier],
  unknownTypes: 'dead-letter' as const,
  producers: [`mno-tsm-${carrier}`],
}));

export interface VsimServiceDefinition extends ServiceDefinition {
  config: VsimConfig;
}

export function vsimDefinition(config: VsimConfig): VsimServiceDefinition {
  return { name: VSIM_SERVICE_NAME, config, entities: [], migrations: vsimMigrations, subscriptions: vsimSubscriptions };
}
