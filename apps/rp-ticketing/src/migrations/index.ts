import { CreateMessagingTables1700000000000 } from '@jpki/messaging';
import { CreateRpTicketingTables1700000007700 } from './1700000007700-create-rp-ticketing-tables';

export const rpTicketingMigrations = [CreateMessagingTables1700000000000, CreateRpTicketingTables1700000007700];
