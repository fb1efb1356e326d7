import { createHash, randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { JpkiPersonalData } from '@jpki/pki';
import type { SignedDocumentAccepted } from '@jpki/relying-party';
import { counter, createLogger } from '@jpki/observability';
import { Clock, notFound, ServiceKeys } from '@jpki/service-kit';
import { applicationRefused, SignatureVerifier } from '../verification/signature-verifier';
import type { ApplicationView, SubmitApplication } from './applications.schemas';

interface ApplicationRow {
  application_id: string;
  received_at: Date;
  document_sha256: string;
  signer_serial: string;
  sealed_signer_subject: string;
  signer_not_after: Date;
  signing_time: Date | null;
  sealed_personal_data: string;
  status_checked_at: Date;
  ocsp_produced_at: Date | null;
  crl_number: string | null;
}

type SealedField = 'document' | 'signed-data' | 'signer-certificate' | 'signer-subject' | 'personal-data';

/** Binds a sealed value to its application and field: copied into another row or column, it does not open. */
const sealedApplicationContext = (applicationId: string, field: SealedField) => `rp-eapplication/application/${applicationId}/${field}`;

/** E-applications: verified first (signature, chain, OCSP and CRL), stored only when accepted. */
@Injectable()
export class ApplicationsService {
  private readonly log = createLogger('rp-eapplication.applications');
  private readonly outcomes = counter('rp_eapplication_applications_total', 'Applications submitted, by outcome', ['outcome']);

  constructor(
    private readonly ds: DataSource,
    private readonly clock: Clock,
    private readonly verifier: SignatureVerifier,
    private readonly keys: ServiceKeys,
  ) {}

  async submit(request: SubmitApplication): Promise<ApplicationView> {
    const document = Buffer.from(request.document, 'base64');
    const signedData = Buffer.from(request.signedData, 'base64');
    const receivedAt = this.clock.now();
    const verified = await this.verifier.verifySignedDocument(document, signedData, receivedAt);
    this.outcomes.inc({ outcome: verified.ok ? 'ACCEPTED' : verified.reason });
    if (!verified.ok) {
      this.log.info({ serial: verified.serial, reason: verified.reason, detail: verified.detail }, 'application refused');
      throw applicationRefused(verified);
    }
    const row = await this.store(document, signedData, verified, receivedAt);
    this.log.info({ applicationId: row.application_id, serial: row.signer_serial }, 'application accepted');
    return this.viewOf(row);
  }

  async get(applicationId: string): Promise<ApplicationView> {
    const [row] = (await this.ds.query(`SELECT * FROM application WHERE application_id = $1`, [applicationId])) as ApplicationRow[];
    if (!row) throw notFound('APPLICATION_UNKNOWN', `no application ${applicationId}`);
    return this.viewOf(row);
  }

  private async store(document: Buffer, signedData: Buffer, verified: SignedDocumentAccepted, receivedAt: Date): Promise<ApplicationRow> {
    const { signer, status } = verified;
    const applicationId = randomUUID();
    const seal = (field: SealedField, plaintext: Buffer) => this.keys.atRest.seal(plaintext, sealedApplicationContext(applicationId, field));
    const [row] = (await this.ds.query(
      `INSERT INTO application (application_id, received_at, sealed_document, document_sha256, sealed_signed_data, signer_serial, sealed_signer_subject,
                                sealed_signer_certificate, signing_time, sealed_personal_data, status_checked_at, ocsp_produced_at, crl_number,
                                signer_not_after)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING *`,
      [
        applicationId,
        receivedAt,
        seal('document', document),
        createHash('sha256').update(document).digest('hex'),
        seal('signed-data', signedData),
        signer.serial,
        seal('signer-subject', Buffer.from(signer.subject, 'utf8')),
        seal('signer-certificate', verified.signerCertificate),
        verified.signingTime ?? null,
        this.keys.atRest.sealJson(verified.personalData, sealedApplicationContext(applicationId, 'personal-data')),
        status.checkedAt,
        status.ocspProducedAt ?? null,
        status.crlNumber?.toString() ?? null,
        signer.notAfter,
      ],
    )) as ApplicationRow[];
    return row;
  }

  private viewOf(row: ApplicationRow): ApplicationView {
    const context = (field: SealedField) => sealedApplicationContext(row.application_id, field);
    return {
      applicationId: row.application_id,
      receivedAt: row.received_at.toISOString(),
      documentSha256: row.document_sha256,
      signer: {
        serial: row.signer_serial,
        subject: this.keys.atRest.open(row.sealed_signer_subject, context('signer-subject')).toString('utf8'),
        notAfter: row.signer_not_after.toISOString(),
      },
      ...(row.signing_time ? { signingTime: row.signing_time.toISOString() } : {}),
      personalData: this.keys.atRest.openJson<JpkiPersonalData>(row.sealed_personal_data, context('personal-data')),
      status: {
        checkedAt: row.status_checked_at.toISOString(),
        ...(row.ocsp_produced_at ? { ocspProducedAt: row.ocsp_produced_at.toISOString() } : {}),
        ...(row.crl_number ? { crlNumber: row.crl_number } : {}),
      },
    };
  }
}
