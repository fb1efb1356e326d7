import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Every subscriber read names the replacement SIM being made for it (a SIM swap): found by index, not by reading the fleet. */
export class SimByReplacedIccid1700000001400 implements MigrationInterface {
  name = 'SimByReplacedIccid1700000001400';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX sim_replaces ON sim (replaces_iccid) WHERE replaces_iccid IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS sim_replaces`);
  }
}
