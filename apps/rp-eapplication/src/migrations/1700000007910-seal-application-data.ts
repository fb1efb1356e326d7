import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The document, the SignedData, the signer's certificate and subject and the 基本4情報 are kept only sealed
 * (AES-256-GCM, `KEY_ENCRYPTION_KEYS`, associated data `rp-eapplication/application/<applicationId>/<field>`).
 *
 * A migration holds no key: it cannot seal the rows already stored, nor open them again on the way down. Dropping
 * them would erase accepted applications without a word, so both directions refuse while the table has rows (there is
 * no production data; a development database is emptied by hand).
 */
export class SealApplicationData1700000007910 implements MigrationInterface {
  name = 'SealApplicationData1700000007910';

  async up(q: QueryRunner): Promise<void> {
    await refuseStoredApplications(q, 'seal');
    await q.query(`
      ALTER TABLE application
        DROP COLUMN document,
        DROP COLUMN signed_data,
        DROP COLUMN signer_subject,
        DROP COLUMN signer_certificate,
        DROP COLUMN personal_data,
        ADD COLUMN sealed_document           TEXT NOT NULL,
        ADD COLUMN sealed_signed_data        TEXT NOT NULL,
        ADD COLUMN sealed_signer_subject     TEXT NOT NULL,
        ADD COLUMN sealed_signer_certificate TEXT NOT NULL,
        ADD COLUMN sealed_personal_data      TEXT NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await refuseStoredApplications(q, 'open');
    await q.query(`
      ALTER TABLE application
        DROP COLUMN sealed_document,
        DROP COLUMN sealed_signed_data,
        DROP COLUMN sealed_signer_subject,
        DROP COLUMN sealed_signer_certificate,
        DROP COLUMN sealed_personal_data,
        ADD COLUMN document           BYTEA NOT NULL,
        ADD COLUMN signed_data        BYTEA NOT NULL,
        ADD COLUMN signer_subject     TEXT NOT NULL,
        ADD COLUMN signer_certificate BYTEA NOT NULL,
        ADD COLUMN personal_data      JSONB NOT NULL`);
  }
}

async function refuseStoredApplications(q: QueryRunner, action: 'seal' | 'open'): Promise<void> {
  // Locked first: an instance still running the previous version could otherwise store one between the check and the change.
  await q.query(`LOCK TABLE application IN ACCESS EXCLUSIVE MODE`);
  const [{ stored }] = (await q.query(`SELECT EXISTS (SELECT 1 FROM application) AS stored`)) as { stored: boolean }[];
  if (stored) {
    throw new Error(`application has rows and a migration holds no key to ${action} them: empty the table first, deliberately`);
  }
}
