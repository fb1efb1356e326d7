import { Module, type DynamicModule } from '@nestjs/common';
import { SAGA_DEFINITIONS, SAGA_ENGINE_OPTIONS, SagaHost } from '@jpki/saga';
import { REFUSED_CALL_AUDIT, ServiceKitModule, type ServiceDefinition } from '@jpki/service-kit';
import type { MnoTsmSettings } from './config';
import { FleetController } from './fleet/fleet.controller';
import { FleetService } from './fleet/fleet.service';
import { FleetRefusedCalls } from './fleet/refused-calls';
import { OperationLog } from './operations/operation-log';
import { OtaQueue } from './operations/queue';
import { OperationSagas } from './operations/sagas';
import { ScriptTamper } from './operations/script-tamper';
import { TsmCommandHandler } from './operations/tsm.handler';
import { CardAccess } from './ota/card-access';
import { OtaBearer } from './ota/ota-bearer';
import { OtaUpHandler } from './ota/ota.handler';
import { ScriptForwarding } from './ota/script-forwarding';
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
        FleetService,
        { provide: REFUSED_CALL_AUDIT, useClass: FleetRefusedCalls },
        OperationLog,
        OtaQueue,
        OtaBearer,
        CardAccess,
        ScriptTamper,
        ScriptForwarding,
        OperationSagas,
        { provide: SAGA_DEFINITIONS, useFactory: (sagas: OperationSagas) => sagas.definitions(), inject: [OperationSagas] },
        { provide: SAGA_ENGINE_OPTIONS, useValue: { retryBackoffMs: 300 } },
        SagaHost,
      ],
    };
  }
}
