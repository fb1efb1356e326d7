import { CreateMessagingTables1700000000000 } from '@jpki/messaging';
import { CreateRpBankTables1700000007600 } from './1700000007600-create-rp-bank-tables';
import { ChallengeStore1700000007610 } from './1700000007610-challenge-store';

export const rpBankMigrations = [CreateMessagingTables1700000000000, CreateRpBankTables1700000007600, ChallengeStore1700000007610];
