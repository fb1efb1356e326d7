import { Module, type DynamicModule } from '@nestjs/common';
import { REFUSED_CALL_AUDIT, ServiceKitModule } from '@jpki/service-kit';
import { AdminController } from './admin/admin.controller';
import { AdminService } from './admin/admin.service';
import { AdminRefusedCalls } from './admin/refused-calls';
import { BearerController } from './bearer/bearer.controller';
import { bearerProfiles, OtaBearer, randomLossDraw, realSleep, seededLossDraw } from './bearer/ota-bearer';
import { CardStore } from './cards/card-store';
import type { VsimServiceDefinition } from './definition';
import { HandsetAuthGuard } from './handset/handset-auth.guard';
import { HandsetController } from './handset/handset.controller';
import { HandsetService } from './handset/handset.service';
import { OtaHandler } from './ota/ota.handler';
import { VSIM_RUNTIME, type VsimRuntime } from './runtime';

@Module({})
export class VsimModule {
  static register(definition: VsimServiceDefinition, runtime: VsimRuntime = {}): DynamicModule {
    const config = definition.config;
    const lossDraw = runtime.lossDraw ?? (config.OTA_BEARER_SEED ? seededLossDraw(config.OTA_BEARER_SEED) : randomLossDraw);
    return {
      module: VsimModule,
      imports: [ServiceKitModule.forRoot(definition)],
      controllers: [OtaHandler, HandsetController, AdminController, BearerController],
      providers: [
        { provide: VSIM_RUNTIME, useValue: runtime },
        { provide: OtaBearer, useValue: new OtaBearer(bearerProfiles(config.OTA_BEARER), lossDraw, runtime.sleep ?? realSleep) },
        CardStore,
        HandsetService,
        HandsetAuthGuard,
        AdminService,
        { provide: REFUSED_CALL_AUDIT, useClass: AdminRefusedCalls },
      ],
    };
  }
}
