import type { Provider, Type } from '@nestjs/common';
import { OperatorAudit, OperatorRefusedCalls, REFUSED_CALL_AUDIT } from '@jpki/service-kit';
import { SAGA_DEFINITIONS, SAGA_ENGINE_OPTIONS, SagaHost, type SagaData, type SagaDefinition } from '@jpki/saga';
import { OtaBearerHandler } from './handlers/ota-bearer.handler';
import { TsmCommandHandler } from './handlers/tsm-command.handler';
import { AuditSaga } from './operations/audit-saga';
import { OperationLog } from './operations/operation-log';
import { OperationSteps } from './operations/operation-steps';
import { OtaQueue } from './operations/queue';
import { ScriptTamper } from './operations/script-tamper';
import { SsdCreationSaga } from './operations/ssd-creation-saga';
import { SsdOperationSaga } from './operations/ssd-operation-saga';
import { SsdRecords } from './operations/ssd-records';
import { TsmCommands } from './operations/tsm-commands';
import { CardAccess } from './ota/card-access';
import { OtaBearer } from './ota/ota-bearer';
import { ScriptForwarding } from './ota/script-forwarding';
import { TsmWire } from './tsm-wire';

/** A provider holding a saga definition. */
export type SagaProvider = Type<{ readonly definition: SagaDefinition<SagaData> }>;

/**
 * The shared TSM code, its operator audit log (also for the refusals of the operator authentication), and the saga
 * engine running its sagas and the app's own (`appSagas`, provided by the app). The app provides the ports beside
 * them: `TSM_SETTINGS`, `SecureElementStore` and `SeAddressing`.
 */
export function tsmProviders(appSagas: SagaProvider[] = []): Provider[] {
  return [
    OperatorAudit,
    { provide: REFUSED_CALL_AUDIT, useClass: OperatorRefusedCalls },
    TsmWire,
    OperationLog,
    OtaQueue,
    OtaBearer,
    CardAccess,
    ScriptTamper,
    ScriptForwarding,
    SsdRecords,
    OperationSteps,
    TsmCommands,
    SsdCreationSaga,
    AuditSaga,
    SsdOperationSaga,
    {
      provide: SAGA_DEFINITIONS,
      useFactory: (...sagas: { definition: SagaDefinition<SagaData> }[]) => sagas.map((s) => s.definition),
      inject: [...appSagas, SsdCreationSaga, AuditSaga, SsdOperationSaga],
    },
    { provide: SAGA_ENGINE_OPTIONS, useValue: { retryBackoffMs: 300 } },
    SagaHost,
  ];
}

/** The shared message handlers: the SP-TSM's card operations and the OTA bearer's answers. The app adds eligibility and manufacturing. */
export function tsmControllers(): Type[] {
  return [TsmCommandHandler, OtaBearerHandler];
}
