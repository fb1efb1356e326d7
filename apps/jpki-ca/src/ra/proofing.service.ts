/**
 * Identity proofing for a phone application (docs/DESIGN.md §3.2): the CMS SignedData made with the My Number
 * card's signing key is checked for signature, chain to the SIMULATED signing CA, validity at Clock.now(),
 * revocation status from the CA's own database, then the application content (schema, freshness, nonce).
 */
import { Inject, Injectable } from '@nestjs/common';
import { IdentityProofingCompleted, type IdentityProofingRequested, type PayloadOf } from '@jpki/contracts';
import {
  formatSerialNumber,
  decodeCertificate,
  JpkiOid,
  validateCertificate,
  verifyCms,
  type CertificateStatus,
  type CmsFailureReason,
  type ValidationFailureReason,
} from '@jpki/pki';
import { counter } from '@jpki/observability';
import { Clock, SERVICE_CONFIG } from '@jpki/service-kit';
import type { CaConfig } from '../config';
import { CertificateAuthority } from '../signer/certificate-authority';
import { CaStore } from '../storage/ca-store';
import { certificateStatus } from '../storage/certificate-status';
import { phoneEnrollmentApplicationSchema } from '@jpki/contracts';
import type { CaTransaction } from './ca-transaction';
import { cardProblem } from './card-policy';

export type ProofingRequest = PayloadOf<typeof IdentityProofingRequested>;
export type ProofingOutcome = PayloadOf<typeof IdentityProofingCompleted>;

export type ProofingRefusal =
  | 'SIGNED_DATA_MALFORMED'
  | 'SIGNATURE_INVALID'
  | 'WRONG_ISSUER_CA'
  | 'CERTIFICATE_NOT_FOR_SIGNING'
  | 'CERTIFICATE_EXPIRED'
  | 'CERTIFICATE_NOT_YET_VALID'
  | 'CERTIFICATE_REVOKED'
  | 'PERSON_UNKNOWN'
  | 'CARD_CERTIFICATE_REVOKED'
  | 'CARD_CERTIFICATE_EXPIRED'
  | 'CARD_CERTIFICATE_MISSING'
  | 'APPLICATION_INVALID'
  | 'APPLICATION_STALE'
  | 'NONCE_REPLAYED';

const CMS_SIGNATURE_FAILURES: readonly CmsFailureReason[] = [
  'CMS_SIGNATURE_INVALID',
  'CMS_MESSAGE_DIGEST_MISMATCH',
  'CMS_SIGNER_MISMATCH',
  'CMS_DIGEST_ALGORITHM_UNSUPPORTED',
  'CMS_SIGNATURE_ALGORITHM_UNSUPPORTED',
];

const VALIDATION_REASONS: Readonly<Partial<Record<ValidationFailureReason, ProofingRefusal>>> = {
  CERTIFICATE_MALFORMED: 'SIGNED_DATA_MALFORMED',
  CHAIN_UNTRUSTED: 'WRONG_ISSUER_CA',
  SIGNATURE_INVALID: 'WRONG_ISSUER_CA',
  WRONG_ISSUER_CA: 'WRONG_ISSUER_CA',
  NOT_A_CA: 'WRONG_ISSUER_CA',
  PATH_LENGTH_EXCEEDED: 'WRONG_ISSUER_CA',
  UNKNOWN_CRITICAL_EXTENSION: 'CERTIFICATE_NOT_FOR_SIGNING',
  POLICY_MISMATCH: 'CERTIFICATE_NOT_FOR_SIGNING',
  KEY_USAGE_INVALID: 'CERTIFICATE_NOT_FOR_SIGNING',
  EXPIRED: 'CERTIFICATE_EXPIRED',
  NOT_YET_VALID: 'CERTIFICATE_NOT_YET_VALID',
  REVOKED: 'CERTIFICATE_REVOKED',
  ON_HOLD: 'CERTIFICATE_REVOKED',
  REVOCATION_UNKNOWN: 'PERSON_UNKNOWN',
};

const CLOCK_SKEW_MS = 60_000;

@Injectable()
export class ProofingService {
  private readonly outcomes = counter('ca_identity_proofing_total', 'Identity proofing decisions', ['reason']);

  constructor(
    private readonly store: CaStore,
    private readonly ca: CertificateAuthority,
    private readonly clock: Clock,
    @Inject(SERVICE_CONFIG) private readonly config: CaConfig,
  ) {}

  async handle(tx: CaTransaction, request: ProofingRequest): Promise<ProofingOutcome> {
    const previous = await this.store.findProofing(request.requestId, tx.manager);
    if (previous) {
      // A redelivered request gets the same answer (its nonce is already ours, so no NONCE_REPLAYED).
      await tx.publish(IdentityProofingCompleted, previous as ProofingOutcome);
      return previous as ProofingOutcome;
    }
    const outcome = await this.evaluate(tx, request);
    await this.store.insertProofing(tx.manager, request.requestId, outcome, this.clock.now());
    await tx.publish(IdentityProofingCompleted, outcome);
    tx.audit({
      occurredAt: this.clock.now(),
      action: outcome.verified ? 'identity-proofing.verified' : 'identity-proofing.refused',
      subject: request.requestId,
      details: {
        personId: outcome.personId ?? null,
        signingCertificateSerial: outcome.signingCertificateSerial ?? null,
        reason: outcome.reason ?? null,
        detail: outcome.detail ?? null,
      },
    });
    this.outcomes.inc({ reason: outcome.verified ? 'VERIFIED' : (outcome.reason ?? 'UNKNOWN') });
    return outcome;
  }

  private async evaluate(tx: CaTransaction, request: ProofingRequest): Promise<ProofingOutcome> {
    const refused = (reason: ProofingRefusal, detail: string, extra: Partial<ProofingOutcome> = {}): ProofingOutcome => ({
      requestId: request.requestId,
      verified: false,
      reason,
      detail: detail.slice(0, 1024),
      ...extra,
    });
    const now = this.clock.now();

    // 1. The CMS signature with the embedded signer certificate.
    const cms = verifyCms(Buffer.from(request.signedApplication, 'base64'));
    if (!cms.signatureValid) {
      const reason = CMS_SIGNATURE_FAILURES.includes(cms.reason) ? 'SIGNATURE_INVALID' : 'SIGNED_DATA_MALFORMED';
      return refused(reason, `${cms.reason}: ${cms.detail}`);
    }
    const signer = decodeCertificate(cms.signerCertificate);
    const signingCertificateSerial = formatSerialNumber(signer.tbs.serialNumber);

    // 2. Chain to the signing CA, validity at the platform clock, status from our own database.
    const signingCa = this.ca.certificate('digital-signature');
    const validation = await validateCertificate({
      certificate: cms.signerCertificate,
      intermediates: [signingCa, this.ca.certificate('user-authentication')],
      trustAnchors: [this.ca.certificate('root')],
      at: now,
      expectedIssuers: [signingCa],
      requiredPolicies: [JpkiOid.policyDigitalSignature, JpkiOid.policyDigitalSignatureTest],
      requiredKeyUsage: ['digitalSignature', 'nonRepudiation'],
      revocation: (certificate, issuer) => this.statusOf(certificate, issuer),
    });
    if (!validation.ok) {
      const reason = VALIDATION_REASONS[validation.reason] ?? 'WRONG_ISSUER_CA';
      const detail = validation.revocationReason
        ? `${validation.reason}: ${validation.revocationReason} at ${validation.revocationTime?.toISOString()}`
        : `${validation.reason}: ${validation.detail}`;
      return refused(reason, detail, { signingCertificateSerial });
    }

    // 3. Who it is, and the card user-authentication certificate that bounds the phone certificate.
    const signingRow = await this.store.findCertificate(signingCertificateSerial, tx.manager);
    if (!signingRow || signingRow.kind !== 'card-signing') return refused('PERSON_UNKNOWN', 'the signing certificate is not registered', { signingCertificateSerial });
    const person = await this.store.findPerson(signingRow.personId, tx.manager);
    if (!person) return refused('PERSON_UNKNOWN', `person ${signingRow.personId} is not registered`, { signingCertificateSerial });
    const cards = await this.store.currentCardCertificates(person.personId, tx.manager);
    if (cards['card-signing']?.serial !== signingCertificateSerial) {
      return refused('CERTIFICATE_REVOKED', 'the signing certificate is not the person’s current card signing certificate', { signingCertificateSerial });
    }
    const problem = cardProblem(cards, now);
    const identity = { personId: person.personId, signingCertificateSerial };
    const cardAuthentication = cards['card-user-authentication'];
    if (problem || !cardAuthentication) return refused(problem?.reason ?? 'CARD_CERTIFICATE_MISSING', problem?.detail ?? 'no card certificate', identity);

    // 4. The application itself.
    let json: unknown;
    try {
      json = JSON.parse(cms.content.toString('utf8'));
    } catch (error) {
      return refused('APPLICATION_INVALID', `application is not JSON: ${(error as Error).message}`, identity);
    }
    const parsed = phoneEnrollmentApplicationSchema.safeParse(json);
    if (!parsed.success) {
      return refused('APPLICATION_INVALID', parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '), identity);
    }
    const application = parsed.data;
    const requestedAt = new Date(application.requestedAt).getTime();
    if (requestedAt < now.getTime() - this.config.PROOFING_MAX_AGE_SECONDS * 1000) {
      return refused('APPLICATION_STALE', `application signed at ${application.requestedAt}, more than ${this.config.PROOFING_MAX_AGE_SECONDS} s ago`, identity);
    }
    if (requestedAt > now.getTime() + CLOCK_SKEW_MS) return refused('APPLICATION_STALE', `application dated in the future (${application.requestedAt})`, identity);

    // 5. Replay protection (the nonce row commits with this decision).
    if ((await this.store.claimNonce(tx.manager, application.nonce, request.requestId, now)) === 'replayed') {
      return refused('NONCE_REPLAYED', 'this application nonce was already used', identity);
    }
    return {
      requestId: request.requestId,
      verified: true,
      ...identity,
      cardUserAuthenticationNotAfter: cardAuthentication.notAfter.toISOString(),
      application: application as unknown as Record<string, unknown>,
    };
  }

  /** Status for path validation: CA certificates are good; subscriber certificates come from our database. */
  private async statusOf(certificate: Buffer, issuer: Buffer): Promise<CertificateStatus> {
    if (issuer.equals(this.ca.certificate('root'))) return { status: 'good' };
    const serial = formatSerialNumber(decodeCertificate(certificate).tbs.serialNumber);
    const row = await this.store.findCertificate(serial);
    if (!row || !row.der.equals(certificate)) return { status: 'unknown' };
    return certificateStatus(row);
  }
}
