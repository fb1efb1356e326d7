import { CreateMessagingTables1700000000000 } from '@jpki/messaging';
import { CreateRpBankTables1700000007600 } from './1700000007600-create-rp-bank-tables';
import { ChallengeStore1700000007610 } from './1700000007610-challenge-store';
import { LoginAttemptByChallenge1700000007620 } from './1700000007620-login-attempt-by-challenge';

export const rpBankMigrations = [CreateMessagingTables1700000000000, CreateRpBankTables1700000007600, ChallengeStore1700000007610, LoginAttemptByChallenge1700000007620];
