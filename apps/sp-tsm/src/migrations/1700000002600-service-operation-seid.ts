import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A service operation names the secure element it runs on by SEID (a SIM's ICCID or an eSE's SEID): sagas recorded
 * before (a queued operation may wait days for its phone) keep their value under the new name.
 */
export class ServiceOperationSeid1700000002600 implements MigrationInterface {
  name = 'ServiceOperationSeid1700000002600';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`UPDATE saga SET data = (data - 'iccid') || jsonb_build_object('seid', data->'iccid') WHERE kind = 'service-operation' AND data ? 'iccid'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`UPDATE saga SET data = (data - 'seid') || jsonb_build_object('iccid', data->'seid') WHERE kind = 'service-operation' AND data ? 'seid'`);
  }
}
