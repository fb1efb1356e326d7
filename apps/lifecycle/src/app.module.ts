import { Module, type DynamicModule } from '@nestjs/common';
import { SAGA_DEFINITIONS, SAGA_ENGINE_OPTIONS, SagaHost } from '@jpki/saga';
import { REFUSED_CALL_AUDIT, ServiceKitModule } from '@jpki/service-kit';
import type { LifecycleConfig } from './config';
import { lifecycleDefinition } from './definition';
import { AuditLog } from './domain/audit-log';
import { ReadModel } from './domain/read-model';
import { CaseFollowUps } from './flows/case-follow-ups';
import { CaseSagas } from './flows/case-sagas';
import { CaseService } from './flows/case-service';
import { OperatorActions } from './flows/operator-actions';
import { ReenrollmentNotices } from './flows/reenrollment-notices';
import { SystemFlows } from './flows/system-flows';
import { LifecycleRefusedCalls } from './http/refused-calls';
import { CasesController } from './http/cases.controller';
import { ClockController } from './http/clock.controller';
import { OperatorController } from './http/operator.controller';
import { CaEventsHandler } from './messaging/ca-events.handler';
import { MnoEventsHandler } from './messaging/mno-events.handler';
import { SpTsmEventsHandler } from './messaging/sptsm-events.handler';
import { RenewalSweep } from './renewal/renewal-sweep';
import { LIFECYCLE_CONFIG } from './tokens';

/**
 * lifecycle: a read model of the phones (person ↔ serial ↔ ICCID ↔ MSISDN ↔ carrier ↔ enrollment ↔ status) built
 * from the CA's, SP-TSM's and carriers' events; lifecycle cases, each a persisted saga; the operator API; the
 * renewal/expiry sweep on the simulation clock.
 */
@Module({})
export class LifecycleModule {
  static register(config: LifecycleConfig): DynamicModule {
    return {
      module: LifecycleModule,
      imports: [ServiceKitModule.forRoot(lifecycleDefinition(config))],
      controllers: [OperatorController, CasesController, ClockController, CaEventsHandler, SpTsmEventsHandler, MnoEventsHandler],
      providers: [
        { provide: LIFECYCLE_CONFIG, useValue: config },
        ReadModel,
        AuditLog,
        CaseService,
        CaseSagas,
        OperatorActions,
        ReenrollmentNotices,
        CaseFollowUps,
        SystemFlows,
        RenewalSweep,
        { provide: REFUSED_CALL_AUDIT, useClass: LifecycleRefusedCalls },
        SagaHost,
        { provide: SAGA_DEFINITIONS, useFactory: (sagas: CaseSagas) => sagas.definitions, inject: [CaseSagas] },
        { provide: SAGA_ENGINE_OPTIONS, useValue: { concurrency: config.SAGA_CONCURRENCY } },
      ],
    };
  }
}
