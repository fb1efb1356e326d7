import { Module, type DynamicModule } from '@nestjs/common';
import { SAGA_DEFINITIONS, SAGA_ENGINE_OPTIONS, SagaHost, type SagaData, type SagaDefinition } from '@jpki/saga';
import { REFUSED_CALL_AUDIT, ServiceKitModule, type ServiceDefinition } from '@jpki/service-kit';
import type { MnoTsmSettings } from './config';
import { FleetController } from './fleet/fleet.controller';
import { FleetService } from './fleet/fleet.service';
import { FleetRefusedCalls } from './fleet/refused-calls';
import { SimStore } from './fleet/sim-store';
import { AuditSaga } from './operations/audit-saga';
import { EligibilitySaga } from './operations/eligibility-saga';
import { OperationLog } from './operations/operation-log';
import { OperationSteps } from './operations/operation-steps';
import { OtaQueue } from './operations/queue';
import { ScriptTamper } from './operations/script-tamper';
import { SsdCreationSaga } from './operations/ssd-creation-saga';
import { SsdOperationSaga } from './operations/ssd-operation-saga';
import { SsdRecords } from './operations/ssd-records';
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
        SimStore,
        { provide: REFUSED_CALL_AUDIT, useClass: FleetRefusedCalls },
        OperationLog,
        OtaQueue,
        OtaBearer,
        CardAccess,
        ScriptTamper,
        ScriptForwarding,
        SsdRecords,
        OperationSteps,
        EligibilitySaga,
        SsdCreationSaga,
        AuditSaga,
        SsdOperationSaga,
        {
          provide: SAGA_DEFINITIONS,
          useFactory: (...sagas: { definition: SagaDefinition<SagaData> }[]) => sagas.map((s) => s.definition),
          inject: [EligibilitySaga, SsdCreationSaga, AuditSaga, SsdOperationSaga],
        },
        { provide: SAGA_ENGINE_OPTIONS, useValue: { retryBackoffMs: 300 } },
        SagaHost,
      ],
    };
  }
}
