import { Module, type DynamicModule } from '@nestjs/common';
import { REFUSED_CALL_AUDIT, ServiceKitModule, type ServiceDefinition } from '@jpki/service-kit';
import { SecureElementStore, TSM_SETTINGS, tsmProviders, TsmWire } from '@jpki/tsm';
import type { MnoTsmSettings } from './config';
import { FleetController } from './fleet/fleet.controller';
import { FleetService } from './fleet/fleet.service';
import { FleetRefusedCalls } from './fleet/refused-calls';
import { SimStore } from './fleet/sim-store';
import { MnoWire } from './mno-wire';
import { EligibilitySaga } from './operations/eligibility-saga';
import { TsmCommandHandler } from './operations/tsm.handler';
import { OtaUpHandler } from './ota/ota.handler';
import { MNO_SETTINGS } from './tokens';

@Module({})
export class MnoTsmModule {
  static register(definition: ServiceDefinition, settings: MnoTsmSettings): DynamicModule {
    return {
      module: MnoTsmModule,
      imports: [ServiceKitModule.forRoot(definition)],
      controllers: [FleetController, TsmCommandHandler, OtaUpHandler],
      providers: [
        { provide: MNO_SETTINGS, useValue: settings },
        { provide: TSM_SETTINGS, useValue: settings },
        FleetService,
        SimStore,
        { provide: SecureElementStore, useExisting: SimStore },
        { provide: TsmWire, useClass: MnoWire },
        { provide: REFUSED_CALL_AUDIT, useClass: FleetRefusedCalls },
        EligibilitySaga,
        ...tsmProviders([EligibilitySaga]),
      ],
    };
  }
}
