import { CreateMessagingTables1700000000000 } from '@jpki/messaging';
import { CreateVsimTables1700000000200 } from './1700000000200-create-vsim-tables';
import { HandsetBinding1700000000210 } from './1700000000210-handset-binding';
import { SecureElementKinds1700000000220 } from './1700000000220-secure-element-kinds';

export const vsimMigrations = [CreateMessagingTables1700000000000, CreateVsimTables1700000000200, HandsetBinding1700000000210, SecureElementKinds1700000000220];
