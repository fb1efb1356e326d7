import { CreateMessagingTables1700000000000 } from '@jpki/messaging';
import { sagaMigrations } from '@jpki/saga';
import { CreateTsmTables1700000000500, OperatorReadIndexes1700000001500 } from '@jpki/tsm';
import { CreateSecureElementTable1700000001000 } from './1700000001000-create-secure-element-table';

export const seTsmMigrations = [CreateMessagingTables1700000000000, ...sagaMigrations, CreateTsmTables1700000000500, CreateSecureElementTable1700000001000, OperatorReadIndexes1700000001500];
