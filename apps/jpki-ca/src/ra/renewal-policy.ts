/**
 * Renewal on the same applet (keySource `{ mode: 'renewal', previousSerial }`): the CA certifies the key of
 * the previous phone certificate again, for the same person and the same device, and the new certificate
 * supersedes the previous one in the usual completion transaction (one active phone per person).
 *
 * Rules (docs/DESIGN.md §3.3, §3.5):
 * - the previous certificate is a phone user-authentication certificate of this person, `good` (not on hold:
 *   a lost phone is not renewed; not revoked) and not expired (an expired phone certificate is re-applied for);
 * - same device: the same ICCID for a SIM applet, the same device id for an iPhone (the MSISDN may have changed);
 * - renewal opens 3 months (92 days) before the previous certificate's notAfter;
 * - the card must be valid (checked with every issuance) and the new certificate must run longer than the
 *   previous one: a phone certificate never outlives the card's user-authentication certificate, so once the
 *   previous certificate already ends with the card, only a card renewal and a new application help;
 * - no proof of possession is asked: the key is the one the CA certified before, bound to this device.
 * Under the person lock, at completion, the previous certificate (the active one on the same device) must still
 * be `good`: a hold (loss report) that won the race makes the renewal fail instead of replacing a held certificate.
 */
import { Inject, Injectable } from '@nestjs/common';
import { seidOfDevice, type DeviceBinding } from '@jpki/contracts';
import { SERVICE_CONFIG } from '@jpki/service-kit';
import type { CaConfig } from '../config';
import { CaStore } from '../storage/ca-store';
import type { CertificateRow, IssuanceRow } from '../storage/types';

export const RENEWAL_WINDOW_DAYS = 92;
const DAY_MS = 86_400_000;

export type RenewalRefusalReason =
  | 'RENEWAL_PREVIOUS_UNKNOWN'
  | 'RENEWAL_NOT_A_PHONE_CERTIFICATE'
  | 'RENEWAL_PERSON_MISMATCH'
  | 'RENEWAL_PREVIOUS_NOT_GOOD'
  | 'RENEWAL_PREVIOUS_EXPIRED'
  | 'RENEWAL_DEVICE_MISMATCH'
  | 'RENEWAL_TOO_EARLY'
  | 'RENEWAL_NOT_EXTENDING';

export type RenewalDecision =
  | { readonly ok: true; readonly previous: CertificateRow; readonly subjectPublicKeyInfo: Buffer }
  | { readonly ok: false; readonly reason: RenewalRefusalReason; readonly detail: string };

const refuse = (reason: RenewalRefusalReason, detail: string): RenewalDecision => ({ ok: false, reason, detail });

export function sameDevice(a: DeviceBinding | null, b: DeviceBinding): boolean {
  if (!a || a.kind !== b.kind) return false;
  return a.kind === 'iphone' ? b.kind === 'iphone' && a.deviceId === b.deviceId : seidOfDevice(a) === seidOfDevice(b);
}

@Injectable()
export class RenewalPolicy {
  constructor(
    private readonly store: CaStore,
    @Inject(SERVICE_CONFIG) private readonly config: CaConfig,
  ) {}

  /** Days a phone certificate may run (before the card bound): the profile's maximum, or `PHONE_CERTIFICATE_MAX_DAYS`. */
  phoneValidityDays(profileMaximum: number): number {
    return Math.min(profileMaximum, this.config.PHONE_CERTIFICATE_MAX_DAYS ?? profileMaximum);
  }

  /** Policy checks of a renewal request (nothing written). */
  async decide(request: { personId: string; device: DeviceBinding }, previousSerial: string, now: Date): Promise<RenewalDecision> {
    const previous = await this.store.findCertificate(previousSerial);
    if (!previous) return refuse('RENEWAL_PREVIOUS_UNKNOWN', `no certificate with serial ${previousSerial}`);
    if (previous.kind !== 'phone-user-authentication') return refuse('RENEWAL_NOT_A_PHONE_CERTIFICATE', `${previousSerial} is a ${previous.kind} certificate`);
    if (previous.personId !== request.personId) return refuse('RENEWAL_PERSON_MISMATCH', `${previousSerial} belongs to another person`);
    if (previous.status !== 'good') {
      return refuse('RENEWAL_PREVIOUS_NOT_GOOD', `${previousSerial} is ${previous.status}${previous.revocationReason ? ` (${previous.revocationReason})` : ''}`);
    }
    if (previous.notAfter <= now) return refuse('RENEWAL_PREVIOUS_EXPIRED', `${previousSerial} expired at ${previous.notAfter.toISOString()}; apply again`);
    if (!sameDevice(previous.device, request.device)) return refuse('RENEWAL_DEVICE_MISMATCH', `${previousSerial} is bound to another device`);
    const opens = new Date(previous.notAfter.getTime() - RENEWAL_WINDOW_DAYS * DAY_MS);
    if (now < opens) return refuse('RENEWAL_TOO_EARLY', `renewal of ${previousSerial} opens at ${opens.toISOString()}`);
    const issuance = await this.store.findIssuance(previous.requestId);
    if (!issuance) throw new Error(`certificate ${previousSerial} has no issuance record`);
    return { ok: true, previous, subjectPublicKeyInfo: issuance.subjectPublicKeyInfo };
  }

  /** The new validity must end later than the previous certificate's. */
  extends(previous: CertificateRow, notAfter: Date): RenewalDecision | undefined {
    if (notAfter.getTime() > previous.notAfter.getTime()) return undefined;
    return refuse(
      'RENEWAL_NOT_EXTENDING',
      `${previous.serial} already runs to ${previous.notAfter.toISOString()}, the end of the card's user-authentication certificate: renew the card and apply again`,
    );
  }
}

/** Under the person lock: the person's active certificate on this device (the one being renewed) must still be good. */
export function renewalProblemUnderLock(active: readonly CertificateRow[], allocation: IssuanceRow): { reason: RenewalRefusalReason; detail: string } | undefined {
  const renewed = active.filter((c) => c.device !== null && allocation.device !== null && sameDevice(c.device, allocation.device));
  if (renewed.length === 0) return { reason: 'RENEWAL_PREVIOUS_NOT_GOOD', detail: 'the certificate to renew is no longer active' };
  const held = renewed.find((c) => c.status !== 'good');
  if (held) return { reason: 'RENEWAL_PREVIOUS_NOT_GOOD', detail: `${held.serial} is ${held.status} (${held.revocationReason ?? 'no reason'})` };
  return undefined;
}
