import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { ReenrollmentRequired, type CertificateStatusChanged, type ContractEnded, type PayloadOf, type SimSwapped } from '@jpki/contracts';
import { Outbox } from '@jpki/messaging';
import { caseSubjectOf, ReadModel, seidOfPhone, type PhoneRow, type SimRow } from '../domain/read-model';
import { CaseService } from './case-service';
import { serviceOperationOn, type CaseRow } from './case-types';

const live = (p: PhoneRow) => p.serviceState !== 'terminated' && p.serviceState !== 'none';

/**
 * Cases the platform opens itself, from the CA's status changes and the carriers' notifications. Each runs in the
 * inbox transaction of the message that caused it, under the SIM's (or the person's) lock.
 */
@Injectable()
export class SystemFlows {
  constructor(
    private readonly cases: CaseService,
    private readonly read: ReadModel,
    private readonly outbox: Outbox,
  ) {}

  /** Device change (機種変更): the CA superseded this phone's certificate for a new phone; its SSD goes (queued while off). */
  deviceChange(m: EntityManager, phone: PhoneRow, change: PayloadOf<typeof CertificateStatusChanged>): Promise<CaseRow> {
    return this.cases.open(m, {
      kind: 'device-change',
      trigger: 'ca',
      openedBy: 'system:jpki-ca',
      auditAction: 'device-change.open',
      reason: `certificate ${change.serial} superseded by a new phone (${change.requestId ?? 'no request id'})`,
      revocationReason: 'superseded',
      ...caseSubjectOf(phone),
      sp: live(phone) ? serviceOperationOn(phone, 'terminate', 'DEVICE_CHANGE') : undefined,
      result: { supersededBy: change.requestId ?? null },
    });
  }

  /** A phone certificate revoked outside any lifecycle case (e.g. at the CA's own API): the service goes too. */
  revokedElsewhere(m: EntityManager, phone: PhoneRow, change: PayloadOf<typeof CertificateStatusChanged>): Promise<CaseRow> {
    return this.cases.open(m, {
      kind: 'revocation',
      trigger: 'ca',
      openedBy: 'system:jpki-ca',
      auditAction: 'revocation.observed',
      reason: `certificate ${change.serial} revoked at the CA (${change.reason ?? 'unspecified'})`,
      revocationReason: change.reason,
      ...caseSubjectOf(phone),
      sp: live(phone) ? serviceOperationOn(phone, 'terminate', 'REVOKED') : undefined,
    });
  }

  /** SIM swap: the SSD left with the old card; its certificate is revoked (cessationOfOperation) and the person re-enrolls. */
  async simSwapped(m: EntityManager, p: PayloadOf<typeof SimSwapped>): Promise<CaseRow | undefined> {
    const [phone] = await this.read.phonesOnSim(p.oldIccid, m);
    if (!phone || (phone.certStatus === 'revoked' && !live(phone))) return undefined;
    const opened = await this.cases.open(m, {
      kind: 'sim-swap',
      trigger: 'carrier',
      openedBy: `system:mno-tsm-${p.carrier}`,
      auditAction: 'sim-swap.open',
      reason: `SIM ${p.oldIccid} replaced by ${p.newIccid} for ${p.msisdn}`,
      ...caseSubjectOf(phone),
      ca: phone.certStatus !== 'revoked' ? { kind: 'revoke', target: { by: 'serial', serial: phone.serial }, reason: 'cessationOfOperation', requestedBy: 'lifecycle', comment: 'SIM swap' } : undefined,
      sp: live(phone) ? { operation: 'terminate', seids: [p.oldIccid], reason: 'SIM_SWAP' } : undefined,
      result: { newIccid: p.newIccid },
    });
    await this.reenroll(m, phone.personId, opened.id, 'sim-swapped', [phone.serial], `SIM ${p.oldIccid} was replaced by ${p.newIccid}`);
    return opened;
  }

  /**
   * Contract end: whatever certificate is bound to the SIM is revoked (cessationOfOperation, by ICCID: this covers an
   * enrollment that is still running) and the service terminated. The carrier closes the subscriber itself.
   */
  contractEnded(m: EntityManager, p: PayloadOf<typeof ContractEnded>, phone: PhoneRow | undefined): Promise<CaseRow> {
    return this.cases.open(m, {
      kind: 'contract-end',
      trigger: 'carrier',
      openedBy: `system:mno-tsm-${p.carrier}`,
      auditAction: 'contract-end.open',
      reason: `contract of ${p.msisdn} ended at ${p.at}`,
      ...(phone ? caseSubjectOf(phone) : { iccid: p.iccid, msisdn: p.msisdn, carrier: p.carrier }),
      // carrier: even a phone this service has not heard of yet is revoked only if it is on the notifying carrier's SIM
      ca: { kind: 'revoke', target: { by: 'iccid', iccid: p.iccid, carrier: p.carrier }, reason: 'cessationOfOperation', requestedBy: 'lifecycle', comment: 'contract ended' },
      sp: { operation: 'terminate', seids: [p.iccid], reason: 'CONTRACT_END' },
    });
  }

  /** A certificate or a completed enrollment on a SIM that is already closed (the enrollment raced the contract end). */
  async closedSimLate(m: EntityManager, phone: PhoneRow, sim: SimRow, what: 'certificate-issued' | 'enrollment-completed'): Promise<CaseRow | undefined> {
    const kind = sim.closedReason === 'sim-swapped' ? 'sim-swap' : 'contract-end';
    const seen: unknown[] = await m.query(`SELECT 1 FROM lifecycle_case WHERE serial = $1 AND trigger = 'sp-tsm' AND result->>'late' = $2`, [phone.serial, what]);
    if (seen.length > 0) return undefined;
    return this.cases.open(m, {
      kind,
      trigger: 'sp-tsm',
      openedBy: 'system:lifecycle',
      auditAction: `${kind}.late-${what}`,
      reason: `${what} on SIM ${sim.iccid}, closed (${sim.closedReason}) at ${sim.closedAt?.toISOString()}`,
      ...caseSubjectOf(phone),
      ca: { kind: 'revoke', target: { by: 'serial', serial: phone.serial }, reason: 'cessationOfOperation', requestedBy: 'lifecycle', comment: `${what} after ${sim.closedReason}` },
      sp: { operation: 'terminate', seids: [sim.iccid], reason: kind === 'sim-swap' ? 'SIM_SWAP' : 'CONTRACT_END' },
      result: { late: what },
    });
  }

  /**
   * The card user-authentication certificate of the person was revoked, held, or superseded by a card renewal: the CA
   * cascaded the phones (cessationOfOperation); every phone service of the person is terminated and the person must
   * apply again. One open case per person and kind: when both card certificates change in one CA transaction, the CA
   * sends the user-authentication one first and the signing one joins its case. The signing certificate alone (a
   * 4-info change) touches no phone: the phone user-authentication certificate stays valid (docs/DESIGN.md §3.5).
   */
  async cardChanged(m: EntityManager, p: PayloadOf<typeof CertificateStatusChanged>): Promise<CaseRow | undefined> {
    await this.read.lockPerson(m, p.personId);
    const kind = p.status === 'revoked' && p.reason === 'superseded' ? 'card-renewal' : 'card-revocation';
    const running = await this.cases.latest(m, { personId: p.personId, kind, statuses: ['open'] });
    if (!running && p.kind === 'card-signing') return undefined;
    if (running) {
      const serials = [...new Set([...((running.result['cardSerials'] as string[]) ?? []), p.serial])];
      await m.query(`UPDATE lifecycle_case SET result = result || jsonb_build_object('cardSerials', $2::jsonb), updated_at = now() WHERE id = $1`, [
        running.id,
        JSON.stringify(serials),
      ]);
      return running;
    }
    const phones = await this.read.phonesOfPerson(p.personId, m);
    const seids = [...new Set(phones.filter((ph) => live(ph) && ph.pendingOperation !== 'terminate').flatMap((ph) => seidOfPhone(ph) ?? []))];
    const opened = await this.cases.open(m, {
      kind,
      trigger: 'ca',
      openedBy: 'system:jpki-ca',
      auditAction: `${kind}.open`,
      reason: `${p.kind} certificate ${p.serial} ${p.status} (${p.reason ?? 'unspecified'})`,
      revocationReason: 'cessationOfOperation',
      personId: p.personId,
      awaitCascadeOf: p.personId,
      sp: seids.length > 0 ? { operation: 'terminate', seids, reason: kind === 'card-renewal' ? 'CARD_RENEWED' : 'CARD_REVOKED' } : undefined,
      result: { cardSerials: [p.serial], phones: phones.map((ph) => ph.serial) },
    });
    await this.reenroll(
      m,
      p.personId,
      opened.id,
      kind === 'card-renewal' ? 'card-renewed' : 'card-revoked',
      phones.map((ph) => ph.serial),
      `${p.kind} certificate ${p.serial}: ${p.status} (${p.reason ?? 'unspecified'})`,
    );
    return opened;
  }

  private async reenroll(m: EntityManager, personId: string, caseId: string, cause: PayloadOf<typeof ReenrollmentRequired>['cause'], serials: string[], detail: string): Promise<void> {
    await this.read.markReenrollment(m, personId, cause);
    await this.outbox.publish(m, ReenrollmentRequired, { personId, caseId, cause, serials, detail: detail.slice(0, 512) }, { correlationId: caseId });
  }
}
