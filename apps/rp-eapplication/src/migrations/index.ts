import { CreateMessagingTables1700000000000 } from '@jpki/messaging';
import { CreateRpEapplicationTables1700000007900 } from './1700000007900-create-rp-eapplication-tables';
import { SealApplicationData1700000007910 } from './1700000007910-seal-application-data';

export const rpEapplicationMigrations = [CreateMessagingTables1700000000000, CreateRpEapplicationTables1700000007900, SealApplicationData1700000007910];
