import { Module, type DynamicModule } from '@nestjs/common';
import { ServiceKitModule, type ServiceDefinition } from '@jpki/service-kit';
import { SeAddressing, SecureElementStore, TSM_SETTINGS, tsmControllers, tsmProviders } from '@jpki/tsm';
import type { SeTsmSettings } from './config';
import { EseAddressing } from './ese-addressing';
import { EseStore } from './fleet/secure-element-store';
import { SecureElementsController } from './fleet/secure-elements.controller';
import { SecureElementsService } from './fleet/secure-elements.service';
import { EseEligibilityHandler } from './operations/eligibility.handler';
import { EseEligibilitySaga } from './operations/eligibility-saga';
import { EseManufacturedHandler } from './ota/manufactured.handler';
import { SE_TSM_SETTINGS } from './tokens';

@Module({})
export class SeTsmModule {
  static register(definition: ServiceDefinition, settings: SeTsmSettings): DynamicModule {
    return {
      module: SeTsmModule,
      imports: [ServiceKitModule.forRoot(definition)],
      controllers: [SecureElementsController, EseEligibilityHandler, EseManufacturedHandler, ...tsmControllers()],
      providers: [
        { provide: SE_TSM_SETTINGS, useValue: settings },
        { provide: TSM_SETTINGS, useValue: settings },
        SecureElementsService,
        EseStore,
        { provide: SecureElementStore, useExisting: EseStore },
        { provide: SeAddressing, useClass: EseAddressing },
        EseEligibilitySaga,
        ...tsmProviders([EseEligibilitySaga]),
      ],
    };
  }
}
