import { CreateMessagingTables1700000000000 } from '@jpki/messaging';
import { CreateVsimTables1700000000200 } from './1700000000200-create-vsim-tables';

export const vsimMigrations = [CreateMessagingTables1700000000000, CreateVsimTables1700000000200];
