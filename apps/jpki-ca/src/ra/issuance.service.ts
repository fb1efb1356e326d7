/**
 * Phone certificate issuance (RA side), following Boulder's issuance cycle:
 *   policy checks (whom for: the CA's own proofing record, ProofingRecords) → allocate the serial and store TBS + linting certificate + findings in a transaction that
 *   COMMITS and consumes the proofing record → (fault point) → the CA lints again and signs → in the inbox transaction: lock the person,
 *   supersede the previous phone, store the certificate, publish.
 * Exactly once per requestId: a redelivery finds the allocation and completes it with the same serial (the
 * signature over the same TBS is deterministic), or answers with the stored certificate once issued.
 */
import { Injectable } from '@nestjs/common';
import {
  CertificateIssuanceFailed,
  CertificateIssued,
  type CertificateIssuanceRequested,
  type DeviceBinding,
  type PayloadOf,
  type PhoneCertificate,
  seidOfDevice,
} from '@jpki/contracts';
import {
  CsrError,
  digitalSignatureSubject,
  exportPkcs8Der,
  exportSpkiDer,
  formatSerialNumber,
  jpkiProfile,
  LintRejectionError,
  prepareCertificate,
  randomSerialNumber,
  userAuthenticationSubject,
  verifyCsr,
} from '@jpki/pki';
import { counter, createLogger } from '@jpki/observability';
import { Clock, ServiceKeys } from '@jpki/service-kit';
import { CertificateAuthority } from '../signer/certificate-authority';
import { KeyPool } from '../signer/key-pool';
import { CaStore } from '../storage/ca-store';
import type { CardCertificateKind, CertificateKind, CertificateRow, IssuanceRow, IssuingCaId, NewIssuance, PhoneCertificateKind, SealedBoxRecord } from '../storage/types';
import { CaUrls } from '../urls';
import type { CaTransaction } from './ca-transaction';
import { canonicalJson, sha256Hex, wholeSeconds } from './canonical';
import { cardProblem } from './card-policy';
import { FaultInjector } from './faults';
import { IphoneIssuancePolicy } from './iphone-issuance-policy';
import { openPerson, personalDataOf } from './person-record';
import { ProofingRecords, type ProofedSubject } from './proofing-records';
import { RenewalPolicy, renewalProblemUnderLock, type RenewalDecision } from './renewal-policy';
import { StatusChanges } from './status-changes';

export type IssuanceRequest = PayloadOf<typeof CertificateIssuanceRequested>;

const DAY_MS = 86_400_000;

/** Each phone certificate: its kind, issuing CA and profile, and the card certificate that bounds its validity. */
interface PhoneCertificateShape {
  readonly kind: PhoneCertificateKind;
  readonly issuerCa: IssuingCaId;
  readonly profile: ReturnType<typeof jpkiProfile>;
  readonly card: CardCertificateKind;
}

const PHONE_CERTIFICATES: Readonly<Record<PhoneCertificate, PhoneCertificateShape>> = {
  'user-authentication': {
    kind: 'phone-user-authentication',
    issuerCa: 'user-authentication',
    profile: jpkiProfile('jpki-phone-user-authentication'),
    card: 'card-user-authentication',
  },
  signing: { kind: 'phone-signing', issuerCa: 'digital-signature', profile: jpkiProfile('jpki-phone-digital-signature'), card: 'card-signing' },
};

const shapeOf = (kind: CertificateKind): PhoneCertificateShape => (kind === 'phone-signing' ? PHONE_CERTIFICATES.signing : PHONE_CERTIFICATES['user-authentication']);

type Decision = { ok: true; allocation: NewIssuance } | { ok: false; reason: string; detail: string };
type Refusal = Extract<Decision, { ok: false }>;

export function phoneSubjectCommonName(serial: string): string {
  return `JPKIPHONE${serial}`;
}

/**
 * The phone signing key is the person's signature: generated on the applet of the phone's secure element (SIM or eSE),
 * never delivered, never renewed in place.
 */
function signingRequestProblem(request: IssuanceRequest): Refusal | undefined {
  if (request.device.kind === 'iphone') return { ok: false, reason: 'SIGNING_CERTIFICATE_DEVICE', detail: 'the phone signing certificate is issued to a SIM or eSE applet' };
  if (request.keySource.mode !== 'csr') {
    return { ok: false, reason: 'SIGNING_KEY_NOT_ON_DEVICE', detail: `the phone signing key is generated on the device (csr), not by ${request.keySource.mode}` };
  }
  return undefined;
}

@Injectable()
export class IssuanceService {
  private readonly log = createLogger('jpki-ca.issuance');
  private readonly outcomes = counter('ca_issuance_total', 'Phone certificate issuance outcomes', ['outcome']);

  constructor(
    private readonly store: CaStore,
    private readonly ca: CertificateAuthority,
    private readonly keyPool: KeyPool,
    private readonly keys: ServiceKeys,
    private readonly statuses: StatusChanges,
    private readonly clock: Clock,
    private readonly urls: CaUrls,
    private readonly faults: FaultInjector,
    private readonly renewals: RenewalPolicy,
    private readonly iphones: IphoneIssuancePolicy,
    private readonly proofings: ProofingRecords,
  ) {}

  async handle(tx: CaTransaction, request: IssuanceRequest): Promise<void> {
    const digest = sha256Hex(canonicalJson(request));
    let allocation = await this.store.findIssuance(request.requestId);
    if (allocation && allocation.requestDigest !== digest) {
      return this.refuse(tx, request, 'REQUEST_ID_REUSED', `request id ${request.requestId} was used for a different issuance request`);
    }
    if (allocation?.state === 'issued') return this.answerIssued(tx, allocation);
    if (allocation?.state === 'failed') return this.answerFailed(tx, allocation);
    if (!allocation) {
      const decision = await this.decide(request, digest);
      if (!decision.ok) return this.refuse(tx, request, decision.reason, decision.detail);
      const allocated = await this.store.allocateIssuance(decision.allocation, [
        {
          occurredAt: this.clock.now(),
          actor: tx.actor,
          action: decision.allocation.state === 'failed' ? 'issuance.lint-failed' : 'issuance.serial-allocated',
          subject: decision.allocation.serial,
          details: {
            requestId: request.requestId,
            personId: decision.allocation.personId,
            enrollmentId: request.enrollmentId,
            keyMode: request.keySource.mode,
            proofingRequestId: decision.allocation.proofingRequestId,
            notAfter: decision.allocation.notAfter.toISOString(),
            findings: decision.allocation.lintFindings,
          },
        },
      ]);
      if (allocated === 'proofing-already-used') {
        return this.refuse(tx, request, 'PROOFING_ALREADY_USED', `identity proofing ${request.proofingRequestId} was used by another issuance request`);
      }
      allocation = allocated;
      if (allocation.state === 'failed') return this.answerFailed(tx, allocation);
      if (allocation.state === 'issued') return this.answerIssued(tx, allocation);
    }

    this.faults.afterAllocation(allocation.requestId, allocation.serial);

    let certificate: Buffer;
    try {
      certificate = await this.ca.signCertificate(
        allocation.issuerCa,
        { tbsCertificate: allocation.tbsCertificate, lintingCertificate: allocation.lintingCertificate },
        { profile: shapeOf(allocation.kind).profile, cardCertificateNotAfter: allocation.cardNotAfter ?? undefined },
      );
    } catch (error) {
      if (!(error instanceof LintRejectionError)) throw error;
      const detail = error.findings.map((f) => `${f.code}: ${f.message}`).join('; ');
      if (await this.store.failIssuance(tx.manager, allocation.requestId, 'LINT_FAILED', detail, this.clock.now())) {
        tx.audit({ occurredAt: this.clock.now(), action: 'issuance.lint-failed', subject: allocation.serial, details: { requestId: allocation.requestId, detail } });
      }
      return this.refuse(tx, request, 'LINT_FAILED', detail, false);
    }
    await this.complete(tx, allocation, certificate);
  }

  /**
   * Policy checks; nothing is written. A new key is issued to the person of the CA's own proofing record
   * (ProofingRecords), a renewal to the person of the certificate it renews (RenewalPolicy).
   */
  private async decide(request: IssuanceRequest, digest: string): Promise<Decision> {
    const now = wholeSeconds(this.clock.now());
    const shape = PHONE_CERTIFICATES[request.certificate ?? 'user-authentication'];
    const signingProblem = shape.kind === 'phone-signing' ? signingRequestProblem(request) : undefined;
    if (signingProblem) return signingProblem;
    let proofed: ProofedSubject | undefined;
    if (request.keySource.mode !== 'renewal') {
      const admitted = await this.proofings.admit(request, now);
      if (!admitted.ok) return admitted;
      proofed = admitted.subject;
    }
    const personId = proofed?.personId ?? request.personId;
    const person = await this.store.findPerson(personId);
    if (!person) return { ok: false, reason: 'PERSON_UNKNOWN', detail: `no person ${personId}` };
    const cards = await this.store.currentCardCertificates(personId);
    const problem = cardProblem(cards, now);
    const boundingCard = cards[shape.card];
    if (problem || !boundingCard) return { ok: false, ...(problem ?? { reason: 'CARD_CERTIFICATE_MISSING', detail: 'no card certificate' }) };
    const cardNotAfter = boundingCard.notAfter;

    const seid = seidOfDevice(request.device);
    if (seid) {
      const bound = await this.store.activePhoneCertificates(undefined, { seid }, false);
      const other = bound.find((c) => c.personId !== personId);
      if (other) return { ok: false, reason: 'DEVICE_BOUND_TO_OTHER_PERSON', detail: `secure element ${seid} carries an active certificate of another person` };
    }

    let subjectPublicKeyInfo: Buffer;
    let deliveredKey: SealedBoxRecord | null = null;
    let renewalOf: RenewalDecision | undefined;
    if (proofed && this.iphones.applies(request)) {
      // iPhone (methods ① and ②): attested Secure Enclave keys, P-256 (see iphone-issuance-policy.ts).
      const admitted = await this.iphones.admit(request, proofed);
      if (!admitted.ok) return admitted;
      ({ subjectPublicKeyInfo, deliveredKey } = admitted);
    } else if (request.keySource.mode === 'csr') {
      try {
        subjectPublicKeyInfo = verifyCsr(Buffer.from(request.keySource.csr, 'base64'), { minimumRsaBits: 2048 }).subjectPublicKeyInfo;
      } catch (error) {
        if (error instanceof CsrError) return { ok: false, reason: error.reason, detail: error.message };
        throw error;
      }
      if (await this.store.isKeyCertified(sha256Hex(subjectPublicKeyInfo))) {
        return { ok: false, reason: 'KEY_ALREADY_CERTIFIED', detail: 'this public key is already certified; generate a new key pair' };
      }
    } else if (request.keySource.mode === 'renewal') {
      renewalOf = await this.renewals.decide(request, request.keySource.previousSerial, now);
      if (!renewalOf.ok) return renewalOf;
      subjectPublicKeyInfo = renewalOf.subjectPublicKeyInfo;
    } else {
      const key = await this.keyPool.take();
      subjectPublicKeyInfo = exportSpkiDer(key.publicKey);
      const pkcs8 = exportPkcs8Der(key.privateKey);
      try {
        deliveredKey = this.keys.sealFor(request.keySource.recipient, pkcs8, `delivered-key/${request.requestId}`);
      } catch (error) {
        return { ok: false, reason: 'RECIPIENT_UNKNOWN', detail: (error as Error).message };
      } finally {
        pkcs8.fill(0);
      }
    }

    const serial = formatSerialNumber(randomSerialNumber());
    const caInfo = this.ca.info(shape.issuerCa);
    const maxNotAfter = Math.min(caInfo.notAfter.getTime(), now.getTime() + this.renewals.phoneValidityDays(shape.profile.maxValidityDays) * DAY_MS);
    // The phone certificate never outlives the card certificate of its function (docs/DESIGN.md §3.3).
    const notAfter = new Date(this.faults.isArmed('ignore-card-bound') ? maxNotAfter : Math.min(maxNotAfter, cardNotAfter.getTime()));
    const notExtending = renewalOf?.ok ? this.renewals.extends(renewalOf.previous, notAfter) : undefined;
    if (notExtending && !notExtending.ok) return notExtending;
    const prepared = await prepareCertificate({
      profile: shape.profile,
      serialNumber: serial,
      ...this.subjectOf(shape, serial, person),
      subjectPublicKeyInfo,
      validity: { notBefore: now, notAfter },
      issuer: this.ca.publicIssuer(shape.issuerCa),
      crlDistributionPointUri: this.urls.crl(shape.issuerCa),
      ocspUri: this.urls.ocsp,
      caIssuersUri: this.urls.caCertificate(shape.issuerCa),
      cardCertificateNotAfter: cardNotAfter,
    });
    const lintFailed = prepared.findings.length > 0;
    return {
      ok: true,
      allocation: {
        requestId: request.requestId,
        requestDigest: digest,
        serial,
        issuerCa: shape.issuerCa,
        kind: shape.kind,
        personId,
        enrollmentId: request.enrollmentId,
        device: request.device,
        keyMode: request.keySource.mode,
        proofingRequestId: proofed?.proofingRequestId ?? null,
        subjectPublicKeyInfo,
        tbsCertificate: prepared.tbsCertificate,
        lintingCertificate: prepared.lintingCertificate,
        lintFindings: prepared.findings.map(({ code, message }) => ({ code, message })),
        cardNotAfter,
        notBefore: now,
        notAfter,
        deliveredKey: lintFailed ? null : deliveredKey,
        state: lintFailed ? 'failed' : 'allocated',
        failureReason: lintFailed ? 'LINT_FAILED' : undefined,
        failureDetail: lintFailed ? prepared.findings.map((f) => `${f.code}: ${f.message}`).join('; ') : undefined,
      },
    };
  }

  /**
   * A new phone replaces the old one: the old secure element's signing certificate goes with its user-authentication
   * certificate (superseded), whether or not the new phone asked for a signing certificate. A renewal on the same
   * secure element replaces nothing.
   */
  private async supersedeSigningOfReplacedPhone(tx: CaTransaction, old: CertificateRow, allocation: IssuanceRow): Promise<void> {
    if (old.kind !== 'phone-user-authentication' || !old.seid || seidOfDevice(allocation.device as DeviceBinding) === old.seid) return;
    const signing = await this.store.activePhoneCertificates(tx.manager, { seid: old.seid }, true, ['phone-signing']);
    for (const certificate of signing.filter((c) => c.personId === old.personId)) {
      await this.statuses.apply(tx, certificate, 'revoked', 'superseded', {
        requestId: allocation.requestId,
        cause: { supersededBy: allocation.serial, enrollmentId: allocation.enrollmentId, phoneReplaced: old.serial },
      });
    }
  }

  /** The subject of a phone certificate; the signing one also carries the person's 基本4情報, as the card's does. */
  private subjectOf(shape: PhoneCertificateShape, serial: string, person: { personId: string; sealedPersonalData: string }) {
    if (shape.kind === 'phone-user-authentication') return { subject: userAuthenticationSubject(phoneSubjectCommonName(serial)) };
    const details = openPerson(this.keys, person.personId, person.sealedPersonalData);
    return {
      subject: digitalSignatureSubject({ prefecture: details.prefecture, municipality: details.municipality, commonName: phoneSubjectCommonName(serial) }),
      personalData: personalDataOf(details),
    };
  }

  /** Inbox transaction: person lock, re-check, supersede, store, publish. */
  private async complete(tx: CaTransaction, allocation: IssuanceRow, certificate: Buffer): Promise<void> {
    const m = tx.manager;
    await this.store.lockPerson(m, allocation.personId);
    // Under the person lock: a concurrent delivery may have completed this request meanwhile.
    const current = await this.store.findIssuance(allocation.requestId, m);
    if (current?.state === 'issued') return this.answerIssued(tx, current);
    if (current?.state === 'failed') return this.answerFailed(tx, current);
    const now = this.clock.now();
    const problem = cardProblem(await this.store.currentCardCertificates(allocation.personId, m), now);
    if (problem) {
      // The card was revoked between allocation and signing: the signed artefact is discarded, never published.
      await this.store.failIssuance(m, allocation.requestId, problem.reason, problem.detail, now);
      tx.audit({ occurredAt: now, action: 'issuance.abandoned', subject: allocation.serial, details: { requestId: allocation.requestId, ...problem } });
      return this.answerFailed(tx, { ...allocation, state: 'failed', failureReason: problem.reason, failureDetail: problem.detail });
    }
    const previous = await this.store.activePhoneCertificates(m, { personId: allocation.personId }, true, [shapeOf(allocation.kind).kind]);
    const renewalProblem = allocation.keyMode === 'renewal' ? renewalProblemUnderLock(previous, allocation) : undefined;
    if (renewalProblem) {
      await this.store.failIssuance(m, allocation.requestId, renewalProblem.reason, renewalProblem.detail, now);
      tx.audit({ occurredAt: now, action: 'issuance.abandoned', subject: allocation.serial, details: { requestId: allocation.requestId, ...renewalProblem } });
      return this.answerFailed(tx, { ...allocation, state: 'failed', failureReason: renewalProblem.reason, failureDetail: renewalProblem.detail });
    }
    const superseded: string[] = [];
    for (const old of previous) {
      const changed = await this.statuses.apply(tx, old, 'revoked', 'superseded', {
        requestId: allocation.requestId,
        cause: { supersededBy: allocation.serial, enrollmentId: allocation.enrollmentId },
      });
      if (changed) superseded.push(changed.serial);
      await this.supersedeSigningOfReplacedPhone(tx, old, allocation);
    }
    if (!(await this.store.completeIssuance(m, allocation.requestId, superseded, now))) {
      throw new Error(`issuance ${allocation.requestId} changed state under the person lock`);
    }
    const device = allocation.device as DeviceBinding;
    const stored = await this.store.insertCertificate(
      m,
      {
        serial: allocation.serial,
        issuerCa: allocation.issuerCa,
        kind: allocation.kind,
        personId: allocation.personId,
        requestId: allocation.requestId,
        enrollmentId: allocation.enrollmentId,
        device,
        seid: seidOfDevice(device),
        der: certificate,
        notBefore: allocation.notBefore,
        notAfter: allocation.notAfter,
        issuedAt: now,
      },
      sha256Hex(allocation.subjectPublicKeyInfo),
    );
    await tx.publish(CertificateIssued, this.issuedPayload({ ...allocation, supersededSerials: superseded }, stored.der));
    tx.audit({
      occurredAt: now,
      action: 'certificate.issued',
      subject: allocation.serial,
      details: {
        requestId: allocation.requestId,
        personId: allocation.personId,
        enrollmentId: allocation.enrollmentId,
        kind: allocation.kind,
        keyMode: allocation.keyMode,
        notAfter: allocation.notAfter.toISOString(),
        supersededSerials: superseded,
        certificateSha256: sha256Hex(certificate),
      },
    });
    this.outcomes.inc({ outcome: 'issued' });
  }

  private issuedPayload(allocation: IssuanceRow, der: Buffer): PayloadOf<typeof CertificateIssued> {
    return {
      requestId: allocation.requestId,
      personId: allocation.personId,
      enrollmentId: allocation.enrollmentId ?? '',
      serial: allocation.serial,
      kind: shapeOf(allocation.kind).kind,
      certificate: der.toString('base64'),
      notBefore: allocation.notBefore.toISOString(),
      notAfter: allocation.notAfter.toISOString(),
      device: allocation.device as DeviceBinding,
      supersededSerials: [...allocation.supersededSerials],
      ...(allocation.deliveredKey ? { deliveredKey: allocation.deliveredKey } : {}),
    };
  }

  /** A repeat of a completed request answers with the same certificate (no new effect). */
  private async answerIssued(tx: CaTransaction, allocation: IssuanceRow): Promise<void> {
    const stored = await this.store.findCertificate(allocation.serial, tx.manager);
    if (!stored) throw new Error(`issued request ${allocation.requestId} has no certificate ${allocation.serial}`);
    this.log.info({ requestId: allocation.requestId, serial: allocation.serial }, 'repeated issuance request answered with the stored certificate');
    this.outcomes.inc({ outcome: 'repeat' });
    await tx.publish(CertificateIssued, this.issuedPayload(allocation, stored.der));
  }

  private async answerFailed(tx: CaTransaction, allocation: IssuanceRow): Promise<void> {
    this.outcomes.inc({ outcome: 'failed' });
    await tx.publish(CertificateIssuanceFailed, {
      requestId: allocation.requestId,
      personId: allocation.personId,
      enrollmentId: allocation.enrollmentId ?? undefined,
      reason: allocation.failureReason ?? 'ISSUANCE_FAILED',
      detail: allocation.failureDetail?.slice(0, 2048) ?? undefined,
    });
  }

  private async refuse(tx: CaTransaction, request: IssuanceRequest, reason: string, detail: string, audit = true): Promise<void> {
    this.outcomes.inc({ outcome: 'refused' });
    await tx.publish(CertificateIssuanceFailed, {
      requestId: request.requestId,
      personId: request.personId,
      enrollmentId: request.enrollmentId,
      reason,
      detail: detail.slice(0, 2048),
    });
    if (audit) {
      tx.audit({
        occurredAt: this.clock.now(),
        action: 'issuance.refused',
        subject: request.requestId,
        details: { personId: request.personId, enrollmentId: request.enrollmentId, keyMode: request.keySource.mode, reason, detail: detail.slice(0, 512) },
      });
    }
  }
}
