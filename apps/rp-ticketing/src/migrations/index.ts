import { CreateMessagingTables1700000000000 } from '@jpki/messaging';
import { CreateRpTicketingTables1700000007700 } from './1700000007700-create-rp-ticketing-tables';
import { ChallengeStore1700000007710 } from './1700000007710-challenge-store';

export const rpTicketingMigrations = [CreateMessagingTables1700000000000, CreateRpTicketingTables1700000007700, ChallengeStore1700000007710];
