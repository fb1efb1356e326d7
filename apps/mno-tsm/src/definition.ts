import { Topics } from '@jpki/contracts';
import type { ServiceDefinition } from '@jpki/service-kit';
import { serviceNameOf, type MnoTsmConfig, type MnoTsmSettings } from './config';
import { mnoTsmMigrations } from './migrations';

/**
 * The carrier's service: commands only from the SP-TSM (anything else is dead-lettered with
 * PRODUCER_NOT_AUTHORIZED / PRODUCER_SIGNATURE_INVALID), OTA traffic only from the vSIM; operator calls only
 * with this carrier's operator tokens (or the platform integrator's).
 */
export function mnoTsmDefinition(config: MnoTsmConfig, settings: MnoTsmSettings): ServiceDefinition {
  return {
    name: serviceNameOf(settings.carrier),
    config,
    operatorCarrier: settings.carrier,
    entities: [],
    migrations: mnoTsmMigrations,
    subscriptions: [
      { topic: Topics.mnoCommands[settings.carrier], unknownTypes: 'dead-letter', producers: ['sp-tsm'] },
      { topic: Topics.otaUp[settings.carrier], unknownTypes: 'ignore', producers: ['vsim'] },
    ],
  };
}
