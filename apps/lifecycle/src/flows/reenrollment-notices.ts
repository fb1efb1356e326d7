import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ReenrollmentRequired, type PayloadOf } from '@jpki/contracts';
import { Outbox } from '@jpki/messaging';
import { Clock, conflict, notFound, requireCarrierScope, type OperatorPrincipal } from '@jpki/service-kit';
import { AuditLog } from '../domain/audit-log';
import { ReadModel } from '../domain/read-model';
import type { ReenrollmentNoticeRequest, ReenrollmentNoticeView } from '../http/schemas';
import { CaseService } from './case-service';

type Cause = PayloadOf<typeof ReenrollmentRequired>['cause'];

/** The case kind whose opening made the holder re-enroll, per cause (an expiry has no case). */
const CASE_KIND_OF: Record<Exclude<Cause, 'certificate-expired'>, string> = {
  'sim-swapped': 'sim-swap',
  'card-revoked': 'card-revocation',
  'card-renewed': 'card-renewal',
  'renewal-refused': 'renewal',
};

/**
 * An operator's re-enrollment notice: the holder who must apply again (SIM swap, card revoked or renewed, renewal
 * refused, certificate expired) is told again — `lifecycle.person.reenrollment-required` published anew with the cause
 * and case recorded when it became necessary, the operator's reason in the audit log. Nothing else changes.
 */
@Injectable()
export class ReenrollmentNotices {
  constructor(
    private readonly ds: DataSource,
    private readonly read: ReadModel,
    private readonly cases: CaseService,
    private readonly outbox: Outbox,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
  ) {}

  send(operator: OperatorPrincipal, req: ReenrollmentNoticeRequest): Promise<ReenrollmentNoticeView> {
    return this.ds.transaction(async (m) => {
      const phones = await this.read.phonesOfPerson(req.personId, m);
      if (phones.length === 0) throw notFound('PERSON_UNKNOWN', `no phone is known for person ${req.personId}`);
      requireCarrierScope(operator, phones[0].carrier, `the holder of ${phones[0].msisdn ?? phones[0].serial}`);
      await this.read.lockPerson(m, req.personId);
      const person = await this.read.person(req.personId, m);
      if (!person?.reenrollmentRequired || !person.reenrollmentCause) {
        throw conflict('REENROLLMENT_NOT_REQUIRED', `person ${req.personId} has nothing to apply for again`);
      }
      const cause = person.reenrollmentCause as Cause;
      const caseId =
        cause === 'certificate-expired'
          ? `expiry-${phones[0].serial}`
          : ((await this.cases.latest(m, { personId: req.personId, kind: CASE_KIND_OF[cause] }))?.id ?? `person-${req.personId}`);
      const serials = phones.map((p) => p.serial);
      const sentBy = `operator:${operator.sub}`;
      await this.outbox.publish(m, ReenrollmentRequired, { personId: req.personId, caseId, cause, serials, detail: `notice sent again by ${sentBy}` }, { correlationId: caseId });
      await this.audit.record(
        { actor: sentBy, roles: operator.roles, action: 'reenrollment.notice', target: `person:${req.personId}`, reason: req.reason, outcome: 'accepted', statusCode: 202, caseId, details: { cause } },
        m,
      );
      return { personId: req.personId, cause, caseId, serials, sentBy, sentAt: this.clock.now().toISOString() };
    });
  }
}
