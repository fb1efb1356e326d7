import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Accepted applications only (a refused one leaves nothing): the document and the SignedData as received, the
 * signer's certificate and the 基本4情報 read from it, and the status the RP established (OCSP and CRL).
 */
export class CreateRpEapplicationTables1700000007900 implements MigrationInterface {
  name = 'CreateRpEapplicationTables1700000007900';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE application (
        application_id      UUID PRIMARY KEY,
        received_at         TIMESTAMPTZ NOT NULL,
        document            BYTEA NOT NULL,
        document_sha256     TEXT NOT NULL,
        signed_data         BYTEA NOT NULL,
        signer_serial       TEXT NOT NULL,
        signer_subject      TEXT NOT NULL,
        signer_certificate  BYTEA NOT NULL,
        signer_not_after    TIMESTAMPTZ NOT NULL,
        -- the signingTime attribute: claimed by the signer, not a trusted time
        signing_time        TIMESTAMPTZ,
        personal_data       JSONB NOT NULL,
        status_checked_at   TIMESTAMPTZ NOT NULL,
        ocsp_produced_at    TIMESTAMPTZ,
        crl_number          TEXT
      )`);
    await q.query(`CREATE INDEX application_signer ON application (signer_serial, received_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS application`);
  }
}
