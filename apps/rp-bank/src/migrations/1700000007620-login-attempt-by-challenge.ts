import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Each login records its outcome once per challenge (`WHERE NOT EXISTS … challenge_id`): found by index, not by reading every attempt. */
export class LoginAttemptByChallenge1700000007620 implements MigrationInterface {
  name = 'LoginAttemptByChallenge1700000007620';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX login_attempt_challenge ON login_attempt (challenge_id) WHERE challenge_id IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS login_attempt_challenge`);
  }
}
