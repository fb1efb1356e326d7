import { Module, type DynamicModule } from '@nestjs/common';
import { ServiceKitModule, type ServiceDefinition } from '@jpki/service-kit';
import { SeAddressing, SecureElementStore, TSM_SETTINGS, tsmControllers, tsmProviders } from '@jpki/tsm';
import { CarrierAddressing } from './carrier-addressing';
import type { MnoTsmSettings } from './config';
import { FleetController } from './fleet/fleet.controller';
import { FleetService } from './fleet/fleet.service';
import { SimStore } from './fleet/sim-store';
import { EligibilityHandler } from './operations/eligibility.handler';
import { EligibilitySaga } from './operations/eligibility-saga';
import { OtaUpHandler } from './ota/ota.handler';
import { MNO_SETTINGS } from './tokens';

@Module({})
export class MnoTsmModule {
  static register(definition: ServiceDefinition, settings: MnoTsmSettings): DynamicModule {
    return {
      module: MnoTsmModule,
      imports: [ServiceKitModule.forRoot(definition)],
      controllers: [FleetController, EligibilityHandler, OtaUpHandler, ...tsmControllers()],
      providers: [
        { provide: MNO_SETTINGS, useValue: settings },
        { provide: TSM_SETTINGS, useValue: settings },
        FleetService,
        SimStore,
        { provide: SecureElementStore, useExisting: SimStore },
        { provide: SeAddressing, useClass: CarrierAddressing },
        EligibilitySaga,
        ...tsmProviders([EligibilitySaga]),
      ],
    };
  }
}
