import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { RevocationReason } from '@jpki/contracts';
import { conflict, notFound, requireCarrierScope, type OperatorPrincipal } from '@jpki/service-kit';
import { caseSubjectOf, ReadModel, type PhoneRow } from '../domain/read-model';
import { CaseAlreadyOpenError, CaseService } from './case-service';
import { serviceOperationOn, type CaseRow } from './case-types';

/** Which phone an operator means: exactly one of these. */
export interface PhoneSelector {
  serial?: string;
  iccid?: string;
  msisdn?: string;
  personId?: string;
}

export interface OperatorRequest {
  selector: PhoneSelector;
  /** Why (the caller's words: who reported, how). */
  reason: string;
}

export function describeSelector(s: PhoneSelector): string {
  if (s.serial) return `serial:${s.serial}`;
  if (s.iccid) return `iccid:${s.iccid}`;
  if (s.msisdn) return `msisdn:${s.msisdn}`;
  return `person:${s.personId}`;
}

/**
 * The operator's actions on a phone. Each runs in one transaction holding the SIM's lock (then the phone's), checks
 * the phone's state, and opens its case (which publishes the CA and SP-TSM commands in the same transaction).
 * Refusals are precise 4xx and change nothing (the refused attempt is audited by the HTTP layer); a carrier-scoped
 * operator is refused other carriers' phones (403 CARRIER_SCOPE).
 */
@Injectable()
export class OperatorActions {
  constructor(
    private readonly ds: DataSource,
    private readonly read: ReadModel,
    private readonly cases: CaseService,
  ) {}

  /** Loss (一時利用停止): certificateHold at the CA and SSD lock, both at once. */
  reportLoss(operator: OperatorPrincipal, req: OperatorRequest): Promise<CaseRow> {
    return this.onPhone(operator, req.selector, async (m, phone) => {
      if (phone.certStatus === 'revoked') throw alreadyRevoked(phone);
      if (phone.lost) {
        const loss = await this.cases.latest(m, { enrollmentId: phone.enrollmentId, kind: 'loss' });
        throw conflict('ALREADY_REPORTED', `the phone ${phone.msisdn ?? phone.enrollmentId} is already reported lost`, { caseId: loss?.id ?? null });
      }
      await this.noOpenCase(m, phone);
      if (phone.certStatus === 'on-hold') throw conflict('CERTIFICATE_ON_HOLD', `certificate ${phone.serial} is already on hold`);
      const opened = await this.open(m, phone, operator, {
        kind: 'loss',
        auditAction: 'loss.report',
        reason: req.reason,
        revocationReason: 'certificateHold',
        ca: { kind: 'revoke', target: { by: 'serial', serial: phone.serial }, reason: 'certificateHold', requestedBy: operator.sub, comment: req.reason },
        sp: serviceOperationOn(phone, 'suspend', 'LOSS'),
      });
      await this.read.setLost(m, phone.enrollmentId, true);
      return opened;
    });
  }

  /** Found: the hold released (user-authentication certificate only, docs/DESIGN.md §3.5) and the SSD unlocked. */
  reportFound(operator: OperatorPrincipal, req: OperatorRequest): Promise<CaseRow> {
    return this.onPhone(operator, req.selector, async (m, phone) => {
      if (phone.certStatus === 'revoked') throw alreadyRevoked(phone);
      if (!phone.lost) throw conflict('NOT_LOST', `the phone ${phone.msisdn ?? phone.enrollmentId} is not reported lost`);
      await this.noOpenCase(m, phone);
      return this.open(m, phone, operator, {
        kind: 'found',
        auditAction: 'found.report',
        reason: req.reason,
        caRefusalFails: true,
        ca: { kind: 'release', serial: phone.serial, requestedBy: operator.sub },
        sp: serviceOperationOn(phone, 'resume', 'FOUND'),
      });
    });
  }

  /** Revocation for good (a lost phone never found: keyCompromise by default) and the SSD deleted (queued while off). */
  revoke(operator: OperatorPrincipal, req: OperatorRequest & { revocationReason?: RevocationReason }): Promise<CaseRow> {
    return this.onPhone(operator, req.selector, async (m, phone) => {
      if (phone.certStatus === 'revoked') throw alreadyRevoked(phone);
      await this.noOpenCase(m, phone);
      const reason: RevocationReason = req.revocationReason ?? (phone.lost ? 'keyCompromise' : 'cessationOfOperation');
      return this.open(m, phone, operator, {
        kind: 'revocation',
        auditAction: 'revocation.request',
        reason: req.reason,
        revocationReason: reason,
        caRefusalFails: true,
        ca: { kind: 'revoke', target: { by: 'serial', serial: phone.serial }, reason, requestedBy: operator.sub, comment: req.reason },
        sp: phone.serviceState !== 'terminated' ? serviceOperationOn(phone, 'terminate', 'REVOKED') : undefined,
      });
    });
  }

  /**
   * Finds the phone (404 with the selector's own reason); a carrier's operator learns nothing more about another
   * carrier's phone than 403 CARRIER_SCOPE.
   */
  async resolve(operator: OperatorPrincipal, selector: PhoneSelector, m?: EntityManager): Promise<PhoneRow> {
    const { phone, namedCertificate } = await this.find(selector, m);
    requireCarrierScope(operator, phone.carrier, `the phone ${describeSelector(selector)}`);
    if (namedCertificate && phone.serial !== selector.serial && namedCertificate.status === 'revoked') {
      throw conflict('CERTIFICATE_ALREADY_REVOKED', `certificate ${selector.serial} is revoked (${namedCertificate.reason}); the phone now uses ${phone.serial}`, {
        serial: selector.serial,
        revocationReason: namedCertificate.reason,
      });
    }
    return phone;
  }

  /** The phone the selector names (and, named by serial, that certificate's status). */
  private async find(selector: PhoneSelector, m?: EntityManager): Promise<{ phone: PhoneRow; namedCertificate?: { status: string; reason: string | null } }> {
    if (selector.serial) {
      const found = await this.read.phoneByCertificate(selector.serial, m);
      if (!found) throw notFound('PHONE_UNKNOWN', `no phone certificate ${selector.serial}`);
      return { phone: found.phone, namedCertificate: { status: found.status, reason: found.reason } };
    }
    if (selector.iccid) {
      const [phone] = await this.read.phonesOnSim(selector.iccid, m);
      if (!phone) throw notFound('PHONE_UNKNOWN', `no phone certificate on SIM ${selector.iccid}`);
      return { phone };
    }
    if (selector.msisdn) {
      const [phone] = await this.read.phonesByMsisdn(selector.msisdn, m);
      if (!phone) throw notFound('SUBSCRIBER_UNKNOWN', `no phone with the JPKI service is known for ${selector.msisdn}`);
      return { phone };
    }
    const phones = selector.personId ? await this.read.phonesOfPerson(selector.personId, m) : [];
    const phone = phones.find((p) => p.certStatus !== 'revoked') ?? phones[0];
    if (!phone) throw notFound('PERSON_UNKNOWN', `no phone is known for person ${selector.personId}`);
    return { phone };
  }

  /** Resolves the phone (carrier scope included), then locks its SIM and re-reads it. */
  private onPhone(operator: OperatorPrincipal, selector: PhoneSelector, work: (m: EntityManager, phone: PhoneRow) => Promise<CaseRow>): Promise<CaseRow> {
    return this.ds.transaction(async (m) => {
      const found = await this.resolve(operator, selector, m);
      if (found.iccid) await this.read.lockSim(m, found.iccid);
      const phone = await this.read.phone(found.enrollmentId, m, true);
      if (!phone) throw notFound('PHONE_UNKNOWN', `phone ${found.enrollmentId} vanished`);
      return work(m, phone);
    });
  }

  private async noOpenCase(m: EntityManager, phone: PhoneRow): Promise<void> {
    const open = await this.cases.openOperatorCase(m, phone.enrollmentId);
    if (open) throw conflict('CASE_ALREADY_OPEN', `case ${open.id} (${open.kind}) is still running for this phone`, { caseId: open.id, kind: open.kind });
  }

  private async open(
    m: EntityManager,
    phone: PhoneRow,
    operator: OperatorPrincipal,
    spec: Pick<Parameters<CaseService['open']>[1], 'kind' | 'auditAction' | 'reason' | 'revocationReason' | 'ca' | 'sp' | 'caRefusalFails'>,
  ): Promise<CaseRow> {
    try {
      return await this.cases.open(m, {
        ...spec,
        trigger: 'operator',
        openedBy: `operator:${operator.sub}`,
        roles: operator.roles,
        ...caseSubjectOf(phone),
      });
    } catch (err) {
      if (err instanceof CaseAlreadyOpenError) throw conflict('CASE_ALREADY_OPEN', err.message);
      throw err;
    }
  }
}

function alreadyRevoked(phone: PhoneRow) {
  return conflict('CERTIFICATE_ALREADY_REVOKED', `certificate ${phone.serial} is already revoked (${phone.revocationReason ?? 'unspecified'})`, {
    serial: phone.serial,
    revocationReason: phone.revocationReason,
    serviceState: phone.serviceState,
    pendingOperation: phone.pendingOperation,
  });
}
