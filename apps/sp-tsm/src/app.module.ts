import { Module, type DynamicModule } from '@nestjs/common';
import { SAGA_DEFINITIONS, SAGA_ENGINE_OPTIONS, SagaHost } from '@jpki/saga';
import { OPERATOR_AUDIT_ACTOR_PREFIX, OperatorAudit, REFUSED_CALL_AUDIT, ServiceKitModule } from '@jpki/service-kit';
import type { SpTsmConfig } from './config';
import { EnrollmentController } from './enrollment/enrollment.controller';
import { EnrollmentSaga } from './enrollment/enrollment-saga';
import { EnrollmentService } from './enrollment/enrollment.service';
import { RepliesController } from './enrollment/replies.controller';
import { IphoneEnrollmentController, IphoneEnrollmentSaga, IphoneEnrollmentService } from './iphone';
import { KeysetVault } from './keys/keyset-vault';
import { SpTsmRefusedCalls } from './operator-audit';
import { RenewalCommandsController } from './renewal/renewal-commands.controller';
import { RenewalSaga } from './renewal/renewal-saga';
import { ServiceCommandsController } from './service/service-commands.controller';
import { ServiceInstances } from './service/service-instances';
import { ServiceOperationSaga } from './service/service-operation-saga';
import { spTsmDefinition } from './definition';
import { SP_TSM_CONFIG } from './tokens';

@Module({})
export class SpTsmModule {
  static register(config: SpTsmConfig): DynamicModule {
    return {
      module: SpTsmModule,
      imports: [ServiceKitModule.forRoot(spTsmDefinition(config))],
      controllers: [EnrollmentController, RepliesController, ServiceCommandsController, RenewalCommandsController, IphoneEnrollmentController],
      providers: [
        { provide: SP_TSM_CONFIG, useValue: config },
        OperatorAudit,
        { provide: OPERATOR_AUDIT_ACTOR_PREFIX, useValue: 'operator:' },
        { provide: REFUSED_CALL_AUDIT, useClass: SpTsmRefusedCalls },
        KeysetVault,
        ServiceInstances,
        EnrollmentSaga,
        EnrollmentService,
        ServiceOperationSaga,
        RenewalSaga,
        IphoneEnrollmentSaga,
        IphoneEnrollmentService,
        SagaHost,
        {
          provide: SAGA_DEFINITIONS,
          useFactory: (enrollment: EnrollmentSaga, operations: ServiceOperationSaga, renewal: RenewalSaga, iphone: IphoneEnrollmentSaga) => [
            enrollment.definition,
            operations.definition,
            renewal.definition,
            iphone.definition,
          ],
          inject: [EnrollmentSaga, ServiceOperationSaga, RenewalSaga, IphoneEnrollmentSaga],
        },
        { provide: SAGA_ENGINE_OPTIONS, useValue: { concurrency: config.SAGA_CONCURRENCY } },
      ],
    };
  }
}
