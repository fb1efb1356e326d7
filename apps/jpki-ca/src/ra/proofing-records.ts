/**
 * The only way a phone issuance learns whom it is for (docs/DESIGN.md §3.2): from the CA's own identity proofing record,
 * never from the request. Every new phone key — SIM on-card CSR, SIM CA-generated key, iPhone methods ① and ② —
 * names the proofing it follows (`proofingRequestId`); the record must be
 *   - one the CA made and verified (PROOFING_NOT_FOUND, PROOFING_NOT_VERIFIED),
 *   - fresh: decided at most PROOFING_RECORD_MAX_AGE_SECONDS ago at Clock.now() (PROOFING_EXPIRED),
 *   - unused: consumed by no other issuance request of the same phone certificate (PROOFING_ALREADY_USED; the
 *     redelivery of the request that consumed it is not a second issuance and is answered from its issuance row
 *     before this decision): one application gives one user-authentication and at most one signing certificate,
 *   - for the person the request names (PROOFING_PERSON_MISMATCH) and the card that signed the application
 *     (PROOFING_CARD_REPLACED when the person's current signing certificate is another one),
 *   - for this phone: the signed application's device kind, number and operator (SIM) or device id (iPhone), and
 *     key mode match the request, and a signing certificate was asked for (APPLICATION_MISMATCH).
 * The person, card and application of the issuance are the record's. The record is consumed in the transaction that
 * allocates the serial (`CaStore.allocateIssuance`), so two issuances racing for one record cannot both allocate.
 * A renewal on the same applet certifies the key of a previous phone certificate (itself issued from a consumed
 * proofing) for that certificate's person and device: it names no proofing (RenewalPolicy decides it).
 */
import { Inject, Injectable } from '@nestjs/common';
import type { DeviceBinding, PhoneCertificate } from '@jpki/contracts';
import { SERVICE_CONFIG } from '@jpki/service-kit';
import type { CaConfig } from '../config';
import { CaStore } from '../storage/ca-store';
import type { ProofingRecord } from '../storage/types';
import type { IssuanceRequest } from './issuance.service';

export type ProofingRefusalReason =
  | 'PROOFING_REQUIRED'
  | 'PROOFING_NOT_FOUND'
  | 'PROOFING_NOT_VERIFIED'
  | 'PROOFING_EXPIRED'
  | 'PROOFING_ALREADY_USED'
  | 'PROOFING_PERSON_MISMATCH'
  | 'PROOFING_CARD_REPLACED'
  | 'APPLICATION_MISMATCH';

/** Whom and what a phone issuance is for, as the CA's own proofing record says. */
export interface ProofedSubject {
  readonly proofingRequestId: string;
  readonly personId: string;
  readonly signingCertificateSerial: string;
  /** The application the CA verified (the card signed it). */
  readonly application: Record<string, unknown>;
}

export type ProofingAdmission =
  | { readonly ok: true; readonly subject: ProofedSubject }
  | { readonly ok: false; readonly reason: ProofingRefusalReason; readonly detail: string };

const refuse = (reason: ProofingRefusalReason, detail: string): ProofingAdmission => ({ ok: false, reason, detail });

/** The application's words for the key source: the phone makes the key (CSR) or the CA generates it. */
function applicationKeyMode(mode: IssuanceRequest['keySource']['mode']): string {
  return mode === 'csr' ? 'on-device' : 'ca-generated';
}

/** Fields in which the signed application differs from the phone the issuance binds. */
export function applicationMismatches(
  application: Record<string, unknown>,
  device: DeviceBinding,
  keyMode: IssuanceRequest['keySource']['mode'],
  certificate: PhoneCertificate = 'user-authentication',
): string[] {
  const deviceKind = application['deviceKind'] ?? 'sim';
  const checks: [boolean, string][] = [
    [deviceKind !== device.kind, 'deviceKind'],
    [application['keyMode'] !== applicationKeyMode(keyMode), 'keyMode'],
    [certificate === 'signing' && application['signingCertificate'] !== true, 'signingCertificate'],
    ...deviceChecks(application, device),
  ];
  return checks.filter(([differs]) => differs).map(([, field]) => field);
}

/** A phone with a number (SIM or eSE) is named by its number and operator, an eSE also by its SEID; an iPhone by its device id. */
function deviceChecks(application: Record<string, unknown>, device: DeviceBinding): [boolean, string][] {
  if (device.kind === 'iphone') return [[application['deviceId'] !== device.deviceId, 'deviceId']];
  return [
    [application['msisdn'] !== device.msisdn, 'msisdn'],
    [(application['mvno'] ?? application['carrier']) !== (device.mvno ?? device.carrier), 'operator'],
    ...(device.kind === 'ese' ? ([[application['seid'] !== device.seid, 'seid']] as [boolean, string][]) : []),
  ];
}

/**
 * The decision on a proofing record for an issuance request (pure; nothing written). `currentSigningSerial` is the
 * person's current card signing certificate.
 */
export function admitProofing(
  request: Pick<IssuanceRequest, 'requestId' | 'personId' | 'proofingRequestId' | 'device' | 'keySource' | 'certificate'>,
  record: ProofingRecord | undefined,
  currentSigningSerial: string | undefined,
  now: Date,
  maxAgeSeconds: number,
): ProofingAdmission {
  const id = request.proofingRequestId;
  if (!id) return refuse('PROOFING_REQUIRED', 'a phone issuance must name the CA identity proofing it follows (proofingRequestId)');
  if (!record) return refuse('PROOFING_NOT_FOUND', `the CA made no identity proofing ${id}`);
  if (!record.verified || !record.personId || !record.signingCertificateSerial || !record.application) {
    return refuse('PROOFING_NOT_VERIFIED', `identity proofing ${id} was refused (${record.reason ?? 'no reason'})`);
  }
  const consumedBy = request.certificate === 'signing' ? record.signingConsumedBy : record.consumedBy;
  if (consumedBy !== null && consumedBy !== request.requestId) {
    return refuse('PROOFING_ALREADY_USED', `identity proofing ${id} was used by issuance ${consumedBy}`);
  }
  const ageMs = now.getTime() - record.decidedAt.getTime();
  if (ageMs > maxAgeSeconds * 1000) {
    return refuse('PROOFING_EXPIRED', `identity proofing ${id} was decided at ${record.decidedAt.toISOString()}, more than ${maxAgeSeconds} s ago`);
  }
  if (record.personId !== request.personId) return refuse('PROOFING_PERSON_MISMATCH', `identity proofing ${id} verified another person than ${request.personId}`);
  if (currentSigningSerial !== record.signingCertificateSerial) {
    return refuse('PROOFING_CARD_REPLACED', `the application was signed with card certificate ${record.signingCertificateSerial}, no longer the person's current one`);
  }
  const mismatches = applicationMismatches(record.application, request.device, request.keySource.mode, request.certificate);
  if (mismatches.length > 0) return refuse('APPLICATION_MISMATCH', `the signed application differs in ${mismatches.join(', ')}`);
  return {
    ok: true,
    subject: { proofingRequestId: id, personId: record.personId, signingCertificateSerial: record.signingCertificateSerial, application: record.application },
  };
}

@Injectable()
export class ProofingRecords {
  constructor(
    private readonly store: CaStore,
    @Inject(SERVICE_CONFIG) private readonly config: CaConfig,
  ) {}

  /** Whether this request may issue on the proofing record it names, and for whom (nothing written). */
  async admit(request: IssuanceRequest, now: Date): Promise<ProofingAdmission> {
    const record = request.proofingRequestId ? await this.store.findProofingRecord(request.proofingRequestId) : undefined;
    const cards = record?.personId ? await this.store.currentCardCertificates(record.personId) : {};
    return admitProofing(request, record, cards['card-signing']?.serial, now, this.config.PROOFING_RECORD_MAX_AGE_SECONDS);
  }
}
