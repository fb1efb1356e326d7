import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * When each pre-signed OCSP answer is due (`refresh_at`, indexed): '-infinity' when it was never signed or its
 * certificate's status changed since, halfway through its validity otherwise, 'infinity' once its certificate has
 * expired. The pre-signer used to compare every answer with its certificate after every status change, a join of the
 * two tables whole (half a second at 300,000 certificates). Only a new answer notifies the responders.
 */
export class OcspRefreshSchedule1700000001600 implements MigrationInterface {
  name = 'OcspRefreshSchedule1700000001600';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE ocsp_response ADD COLUMN refresh_at TIMESTAMPTZ NOT NULL DEFAULT '-infinity'`);
    await q.query(
      `UPDATE ocsp_response o SET refresh_at = o.produced_at + (o.next_update - o.produced_at) / 2
         FROM certificate c WHERE c.serial = o.serial AND o.next_update IS NOT NULL AND o.status_version = c.status_version`,
    );
    await q.query(`CREATE INDEX ocsp_response_refresh ON ocsp_response (refresh_at)`);
    await q.query(`CREATE INDEX ocsp_response_produced ON ocsp_response (produced_at)`);
    await q.query(`DROP TRIGGER ocsp_response_notify ON ocsp_response`);
    await q.query(`CREATE TRIGGER ocsp_response_notify AFTER UPDATE OF response ON ocsp_response FOR EACH ROW EXECUTE FUNCTION ca_notify_status()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER ocsp_response_notify ON ocsp_response`);
    await q.query(`CREATE TRIGGER ocsp_response_notify AFTER UPDATE ON ocsp_response FOR EACH ROW EXECUTE FUNCTION ca_notify_status()`);
    await q.query(`DROP INDEX IF EXISTS ocsp_response_produced`);
    await q.query(`DROP INDEX IF EXISTS ocsp_response_refresh`);
    await q.query(`ALTER TABLE ocsp_response DROP COLUMN refresh_at`);
  }
}
