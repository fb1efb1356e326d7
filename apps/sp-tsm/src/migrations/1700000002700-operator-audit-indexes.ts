import type { MigrationInterface, QueryRunner } from 'typeorm';
import { dropOperatorAuditIndexes, indexOperatorAuditTable } from '@jpki/service-kit';

/** The operator audit log read by actor or by target, by index. */
export class OperatorAuditIndexes1700000002700 implements MigrationInterface {
  name = 'OperatorAuditIndexes1700000002700';

  async up(q: QueryRunner): Promise<void> {
    await indexOperatorAuditTable(q);
  }

  async down(q: QueryRunner): Promise<void> {
    await dropOperatorAuditIndexes(q);
  }
}
