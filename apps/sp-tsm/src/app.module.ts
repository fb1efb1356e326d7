import { Module, type DynamicModule } from '@nestjs/common';
import { SAGA_DEFINITIONS, SAGA_ENGINE_OPTIONS, SagaHost } from '@jpki/saga';
import { subscriptionsOf } from '@jpki/messaging';
import { ServiceKitModule, type ServiceDefinition } from '@jpki/service-kit';
import type { SpTsmConfig } from './config';
import { EnrollmentController } from './enrollment/enrollment.controller';
import { EnrollmentSaga } from './enrollment/enrollment-saga';
import { EnrollmentService } from './enrollment/enrollment.service';
import { RepliesController } from './enrollment/replies.controller';
import { IphoneEnrollmentController, IphoneEnrollments1700000002100, IphoneEnrollmentSaga, IphoneEnrollmentService } from './iphone';
import { KeysetVault } from './keys/keyset-vault';
import { RenewalCommandsController } from './renewal/renewal-commands.controller';
import { RenewalSaga } from './renewal/renewal-saga';
import { spTsmMigrations } from './migrations';
import { ServiceCommandsController } from './service/service-commands.controller';
import { ServiceOperationSaga } from './service/service-operation-saga';
import { SP_TSM_CONFIG } from './tokens';

export function spTsmDefinition(config: SpTsmConfig): ServiceDefinition {
  return {
    name: 'sp-tsm',
    config,
    entities: [],
    migrations: [...spTsmMigrations, IphoneEnrollments1700000002100],
    // ca.events, mno.<carrier>.events, sptsm.commands (who may send what: the routes in libs/contracts).
    subscriptions: subscriptionsOf('sp-tsm'),
  };
}

@Module({})
export class SpTsmModule {
  static register(config: SpTsmConfig): DynamicModule {
    return {
      module: SpTsmModule,
      imports: [ServiceKitModule.forRoot(spTsmDefinition(config))],
      controllers: [EnrollmentController, RepliesController, ServiceCommandsController, RenewalCommandsController, IphoneEnrollmentController],
      providers: [
        { provide: SP_TSM_CONFIG, useValue: config },
        KeysetVault,
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
