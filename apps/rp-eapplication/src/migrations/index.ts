import { CreateMessagingTables1700000000000 } from '@jpki/messaging';
import { CreateRpEapplicationTables1700000007900 } from './1700000007900-create-rp-eapplication-tables';

export const rpEapplicationMigrations = [CreateMessagingTables1700000000000, CreateRpEapplicationTables1700000007900];
