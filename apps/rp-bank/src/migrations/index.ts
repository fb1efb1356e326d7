import { CreateMessagingTables1700000000000 } from '@jpki/messaging';
import { CreateRpBankTables1700000007600 } from './1700000007600-create-rp-bank-tables';

export const rpBankMigrations = [CreateMessagingTables1700000000000, CreateRpBankTables1700000007600];
