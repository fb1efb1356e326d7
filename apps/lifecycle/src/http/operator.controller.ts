import { Controller, HttpCode, Param, Post, UseFilters, UseGuards } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors, ApiZodBody, ApiZodResponse, AuditAction, AuditContextGuard, Operator, RefusedCallAuditFilter, RequireRoles, ValidBody, type OperatorPrincipal } from '@jpki/service-kit';
import { CaseFollowUps } from '../flows/case-follow-ups';
import { OperatorActions, type PhoneSelector } from '../flows/operator-actions';
import { ReenrollmentNotices } from '../flows/reenrollment-notices';
import { caseViewSchema, type CaseView } from '@jpki/contracts';
import {
  caseFollowUpSchema,
  phoneReportSchema,
  reenrollmentNoticeSchema,
  reenrollmentNoticeViewSchema,
  revocationRequestSchema,
  type CaseFollowUp,
  type PhoneReport,
  type ReenrollmentNoticeRequest,
  type ReenrollmentNoticeView,
  type RevocationRequest,
} from './schemas';
import { caseView } from './views';

const selectorOf = (b: PhoneSelector): PhoneSelector => ({ serial: b.serial, iccid: b.iccid, msisdn: b.msisdn, personId: b.personId });

/**
 * The operator's actions on a phone (role `operator`). Each answers 202 with the case it opened; follow it with
 * `GET /cases/{caseId}`. Refusals: 404 SUBSCRIBER_UNKNOWN / PHONE_UNKNOWN / PERSON_UNKNOWN, 409 ALREADY_REPORTED /
 * NOT_LOST / CERTIFICATE_ALREADY_REVOKED / CERTIFICATE_ON_HOLD / CASE_ALREADY_OPEN, 401/403; every call is audited.
 */
@ApiTags('operator actions')
@Controller()
@UseGuards(AuditContextGuard)
@UseFilters(RefusedCallAuditFilter)
export class OperatorController {
  constructor(
    private readonly actions: OperatorActions,
    private readonly notices: ReenrollmentNotices,
    private readonly followUps: CaseFollowUps,
  ) {}

  @Post('loss-reports')
  @HttpCode(202)
  @RequireRoles('operator')
  @AuditAction('loss.report')
  @ApiOperation({
    summary: 'Report a phone lost (一時利用停止): certificateHold at the CA and SSD lock by the carrier',
    description:
      'The CA command and the SP-TSM suspension are published in the transaction that records the case: OCSP answers ' +
      '"revoked, certificateHold" within a second. The lock is queued by the carrier while the phone is off (case `waiting-device`).',
  })
  @ApiZodBody(phoneReportSchema)
  @ApiZodResponse(202, caseViewSchema, 'case opened')
  @ApiErrors(400, 401, 403, 404, 409)
  async loss(@ValidBody(phoneReportSchema) body: PhoneReport, @Operator() operator: OperatorPrincipal): Promise<CaseView> {
    return caseView(await this.actions.reportLoss(operator, { selector: selectorOf(body), reason: body.reason }));
  }

  @Post('found-reports')
  @HttpCode(202)
  @RequireRoles('operator')
  @AuditAction('found.report')
  @ApiOperation({ summary: 'Report a lost phone found: hold released at the CA (user-authentication certificate) and SSD unlocked' })
  @ApiZodBody(phoneReportSchema)
  @ApiZodResponse(202, caseViewSchema, 'case opened')
  @ApiErrors(400, 401, 403, 404, 409)
  async found(@ValidBody(phoneReportSchema) body: PhoneReport, @Operator() operator: OperatorPrincipal): Promise<CaseView> {
    return caseView(await this.actions.reportFound(operator, { selector: selectorOf(body), reason: body.reason }));
  }

  @Post('revocations')
  @HttpCode(202)
  @RequireRoles('operator')
  @AuditAction('revocation.request')
  @ApiOperation({
    summary: 'Revoke a phone certificate for good and delete its SSD (queued while the phone is off)',
    description: 'A lost phone never found: keyCompromise by default. Otherwise cessationOfOperation unless `revocationReason` says otherwise.',
  })
  @ApiZodBody(revocationRequestSchema)
  @ApiZodResponse(202, caseViewSchema, 'case opened')
  @ApiErrors(400, 401, 403, 404, 409)
  async revoke(@ValidBody(revocationRequestSchema) body: RevocationRequest, @Operator() operator: OperatorPrincipal): Promise<CaseView> {
    return caseView(await this.actions.revoke(operator, { selector: selectorOf(body), reason: body.reason, revocationReason: body.revocationReason }));
  }

  @Post('cases/:caseId/follow-ups')
  @HttpCode(200)
  @RequireRoles('operator')
  @AuditAction('case.follow-up')
  @ApiOperation({
    summary: 'Follow up a case waiting for the phone to come online (a device change waiting for the old phone, a queued lock or unlock)',
    description:
      'Records who contacted the holder, when and why in the case (`result.followUps`) and the audit log; the queued card operation runs when the phone is back. ' +
      '409 CASE_NOT_WAITING for a case that is not `waiting-device`; a carrier’s operator follows up that carrier’s cases only (403 CARRIER_SCOPE).',
  })
  @ApiZodBody(caseFollowUpSchema)
  @ApiZodResponse(200, caseViewSchema, 'the case with the follow-up')
  @ApiErrors(400, 401, 403, 404, 409)
  async followUp(@Param('caseId') caseId: string, @ValidBody(caseFollowUpSchema) body: CaseFollowUp, @Operator() operator: OperatorPrincipal): Promise<CaseView> {
    return caseView(await this.followUps.record(operator, caseId, body.reason));
  }

  @Post('reenrollment-notices')
  @HttpCode(202)
  @RequireRoles('operator')
  @AuditAction('reenrollment.notice')
  @ApiOperation({
    summary: 'Tell a holder again that they must apply again (re-enrollment notice)',
    description:
      'For a person marked to re-enroll (SIM swap, card revoked or renewed, renewal refused, certificate expired): publishes ' +
      '`lifecycle.person.reenrollment-required` again with the recorded cause and the case that caused it. 409 REENROLLMENT_NOT_REQUIRED ' +
      'otherwise; a carrier’s operator reaches only the holders of that carrier’s phones (403 CARRIER_SCOPE).',
  })
  @ApiZodBody(reenrollmentNoticeSchema)
  @ApiZodResponse(202, reenrollmentNoticeViewSchema, 'notice published')
  @ApiErrors(400, 401, 403, 404, 409)
  reenrollmentNotice(@ValidBody(reenrollmentNoticeSchema) body: ReenrollmentNoticeRequest, @Operator() operator: OperatorPrincipal): Promise<ReenrollmentNoticeView> {
    return this.notices.send(operator, body);
  }
}
