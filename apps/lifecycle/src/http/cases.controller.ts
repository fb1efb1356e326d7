import { Controller, Get, Param, UseFilters, UseGuards } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod/v4';
import { auditEntryViewSchema, caseViewSchema, phoneViewSchema, type CaseView, type PhoneView } from '@jpki/contracts';
import {
  ApiErrors,
  ApiZodQuery,
  ApiZodResponse,
  AuditAction,
  AuditContextGuard,
  Clock,
  notFound,
  Operator,
  type OperatorPrincipal,
  RefusedCallAuditFilter,
  requireCarrierScope,
  requirePlatformScope,
  RequireRoles,
  ValidQuery,
} from '@jpki/service-kit';
import { AuditLog } from '../domain/audit-log';
import { ReadModel } from '../domain/read-model';
import { CaseService } from '../flows/case-service';
import { describeSelector, OperatorActions } from '../flows/operator-actions';
import { auditQuerySchema, caseListQuerySchema, phoneQuerySchema } from './schemas';
import { caseView, phoneView } from './views';

/**
 * Case lookup and the read model (roles operator, auditor); the audit log (auditor). Reads are audited too. A carrier's
 * operator sees that carrier's phones and cases only (403 CARRIER_SCOPE), and not the audit log, which spans them all.
 */
@ApiTags('cases')
@Controller()
@UseGuards(AuditContextGuard)
@UseFilters(RefusedCallAuditFilter)
export class CasesController {
  constructor(
    private readonly cases: CaseService,
    private readonly actions: OperatorActions,
    private readonly read: ReadModel,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
  ) {}

  @Get('cases/:caseId')
  @RequireRoles('operator', 'auditor')
  @AuditAction('case.read')
  @ApiOperation({ summary: 'A case: what, who, why, the CA and SP-TSM outcomes, and its saga with the history of every step' })
  @ApiZodResponse(200, caseViewSchema, 'the case')
  @ApiErrors(401, 403, 404)
  async get(@Param('caseId') caseId: string, @Operator() operator: OperatorPrincipal): Promise<CaseView> {
    const row = await this.cases.row(caseId);
    if (!row) throw notFound('CASE_UNKNOWN', `no case ${caseId}`);
    requireCarrierScope(operator, row.carrier, `case ${caseId}`);
    const [saga, history] = await Promise.all([this.cases.engine.get(caseId), this.cases.engine.history(caseId)]);
    await this.audited(operator, 'case.read', caseId, caseId);
    return caseView(row, saga, history);
  }

  @Get('cases')
  @RequireRoles('operator', 'auditor')
  @AuditAction('case.list')
  @ApiOperation({ summary: 'Cases, newest first, filtered by person, SIM, serial, enrollment, kind or status' })
  @ApiZodQuery(caseListQuerySchema)
  @ApiZodResponse(200, z.array(caseViewSchema), 'cases (without saga history)')
  @ApiErrors(400, 401, 403)
  async list(@ValidQuery(caseListQuerySchema) q: z.infer<typeof caseListQuerySchema>, @Operator() operator: OperatorPrincipal): Promise<CaseView[]> {
    // A carrier's operator sees that carrier's cases only.
    const rows = await this.cases.list({ ...q, carrier: operator.carrier });
    await this.audited(operator, 'case.list', JSON.stringify(q).slice(0, 200));
    return rows.map((r) => caseView(r));
  }

  @Get('phones')
  @RequireRoles('operator', 'auditor')
  @AuditAction('phone.read')
  @ApiOperation({
    summary: 'The phone named by exactly one of serial, iccid, msisdn, personId, enrollmentId, imei, as this service sees it',
    description:
      'A carrier’s operator reads that carrier’s phones only (403 CARRIER_SCOPE), whichever way the phone is named. ' +
      'An IMEI names the handset the carrier last reported the SIM in (`mno.subscriber.handset-changed`).',
  })
  @ApiZodQuery(phoneQuerySchema as unknown as z.ZodObject)
  @ApiZodResponse(200, phoneViewSchema, 'the phone')
  @ApiErrors(400, 401, 403, 404)
  async phone(@ValidQuery(phoneQuerySchema) q: z.infer<typeof phoneQuerySchema>, @Operator() operator: OperatorPrincipal): Promise<PhoneView> {
    const { enrollmentId, imei, ...selector } = q;
    const named = enrollmentId ? this.byEnrollment(operator, enrollmentId) : imei ? this.inHandset(operator, imei) : this.actions.resolve(operator, selector);
    const phone = await named.catch((err) => {
      // A revoked, renewed-away serial still names its phone for reading.
      const serial = q.serial;
      if (!serial || (err as { reason?: string }).reason !== 'CERTIFICATE_ALREADY_REVOKED') throw err;
      return this.read.phoneByCertificate(serial).then((f) => {
        if (!f) throw err;
        return f.phone;
      });
    });
    const [sim, person] = await Promise.all([phone.iccid ? this.read.sim(phone.iccid) : undefined, this.read.person(phone.personId)]);
    await this.audited(operator, 'phone.read', enrollmentId ? `enrollment:${enrollmentId}` : imei ? `imei:${imei}` : describeSelector(selector));
    return phoneView(phone, sim, person?.reenrollmentRequired ?? false, this.clock.now());
  }

  private async byEnrollment(operator: OperatorPrincipal, enrollmentId: string) {
    const phone = await this.read.phone(enrollmentId);
    if (!phone) throw notFound('PHONE_UNKNOWN', `no phone certificate from enrollment ${enrollmentId}`);
    requireCarrierScope(operator, phone.carrier, `the phone of enrollment ${enrollmentId}`);
    return phone;
  }

  private async inHandset(operator: OperatorPrincipal, imei: string) {
    const phone = await this.read.phoneInHandset(imei);
    if (!phone) throw notFound('PHONE_UNKNOWN', `no phone certificate on a SIM reported in handset ${imei}`);
    requireCarrierScope(operator, phone.carrier, `the phone in handset ${imei}`);
    return phone;
  }

  @Get('audit')
  @RequireRoles('auditor')
  @AuditAction('audit.read')
  @ApiOperation({ summary: 'The operator audit log (append-only): every call, accepted or refused, and every case the platform opened itself' })
  @ApiZodQuery(auditQuerySchema)
  @ApiZodResponse(200, z.array(auditEntryViewSchema), 'entries in order')
  @ApiErrors(400, 401, 403)
  async auditLog(@ValidQuery(auditQuerySchema) q: z.infer<typeof auditQuerySchema>, @Operator() operator: OperatorPrincipal) {
    requirePlatformScope(operator, 'the lifecycle audit log');
    const entries = await this.audit.list(q);
    await this.audited(operator, 'audit.read', null);
    return entries;
  }

  private audited(operator: OperatorPrincipal, action: string, target: string | null, caseId?: string): Promise<void> {
    return this.audit.record({ actor: `operator:${operator.sub}`, roles: operator.roles, action, target, outcome: 'ok', statusCode: 200, caseId });
  }
}
