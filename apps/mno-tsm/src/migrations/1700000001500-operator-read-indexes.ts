import type { MigrationInterface, QueryRunner } from 'typeorm';
import { TsmTablesDdl } from '@jpki/tsm';

/** Operator reads by index: a SIM's OTA queue, the audit log by actor or target. */
export class OperatorReadIndexes1700000001500 implements MigrationInterface {
  name = 'OperatorReadIndexes1700000001500';

  async up(q: QueryRunner): Promise<void> {
    await TsmTablesDdl.operatorReadIndexes(q);
  }

  async down(q: QueryRunner): Promise<void> {
    await TsmTablesDdl.dropOperatorReadIndexes(q);
  }
}
