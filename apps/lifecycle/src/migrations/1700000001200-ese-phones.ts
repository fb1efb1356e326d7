import type { MigrationInterface, QueryRunner } from 'typeorm';

/** A phone whose applet lives in the handset's embedded SE: `device_id` holds its SEID, as it holds an iPhone's device id. */
export class EsePhones1700000001200 implements MigrationInterface {
  name = 'EsePhones1700000001200';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE phone DROP CONSTRAINT phone_device_kind_check`);
    await q.query(`ALTER TABLE phone ADD CONSTRAINT phone_device_kind_check CHECK (device_kind IN ('sim', 'ese', 'iphone'))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE phone DROP CONSTRAINT phone_device_kind_check`);
    await q.query(`ALTER TABLE phone ADD CONSTRAINT phone_device_kind_check CHECK (device_kind IN ('sim', 'iphone'))`);
  }
}
