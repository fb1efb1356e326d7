import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createOperatorAuditTable } from '@jpki/service-kit';

/**
 * A phone number (SIM) or a device (iPhone) is held by one running enrollment whose applicant the CA has proven,
 * not by whoever sent a request first; operators' reads of subscriber-identifying data are audited.
 */
export class ProvenHoldsAndOperatorAudit1700000002200 implements MigrationInterface {
  name = 'ProvenHoldsAndOperatorAudit1700000002200';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE enrollment ADD COLUMN holds_msisdn BOOLEAN NOT NULL DEFAULT false`);
    await q.query(`UPDATE enrollment SET holds_msisdn = true WHERE active`);
    await q.query(`DROP INDEX enrollment_one_active_per_msisdn`);
    await q.query(`CREATE UNIQUE INDEX enrollment_one_proven_per_msisdn ON enrollment (msisdn) WHERE active AND holds_msisdn`);
    await q.query(`ALTER TABLE iphone_enrollment ADD COLUMN holds_device BOOLEAN NOT NULL DEFAULT false`);
    await q.query(`UPDATE iphone_enrollment SET holds_device = true WHERE active`);
    await q.query(`DROP INDEX iphone_enrollment_one_active_per_device`);
    await q.query(`CREATE UNIQUE INDEX iphone_enrollment_one_proven_per_device ON iphone_enrollment (device_id) WHERE active AND holds_device`);
    await createOperatorAuditTable(q);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS operator_audit`);
    await q.query(`DROP INDEX IF EXISTS iphone_enrollment_one_proven_per_device`);
    await q.query(`CREATE UNIQUE INDEX iphone_enrollment_one_active_per_device ON iphone_enrollment (device_id) WHERE active`);
    await q.query(`ALTER TABLE iphone_enrollment DROP COLUMN holds_device`);
    await q.query(`DROP INDEX IF EXISTS enrollment_one_proven_per_msisdn`);
    await q.query(`CREATE UNIQUE INDEX enrollment_one_active_per_msisdn ON enrollment (msisdn) WHERE active`);
    await q.query(`ALTER TABLE enrollment DROP COLUMN holds_msisdn`);
  }
}
