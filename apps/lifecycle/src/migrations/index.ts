import { CreateMessagingTables1700000000000 } from '@jpki/messaging';
import { CreateSagaTables1700000000100, SagaTraceparent1700000000110 } from '@jpki/saga';
import { CreateLifecycleTables1700000001000 } from './1700000001000-create-lifecycle-tables';

export const lifecycleMigrations = [CreateMessagingTables1700000000000, CreateSagaTables1700000000100, SagaTraceparent1700000000110, CreateLifecycleTables1700000001000];
