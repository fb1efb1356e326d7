import { Controller, Get, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors, ApiZodBody, ApiZodResponse, RequireRoles, ValidBody } from '@jpki/service-kit';
import { applicationViewSchema, submitApplicationSchema, type ApplicationView, type SubmitApplication } from './applications.schemas';
import { ApplicationsService } from './applications.service';

@ApiTags('applications')
@Controller('applications')
export class ApplicationsController {
  constructor(private readonly applications: ApplicationsService) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({
    summary: 'Submit a document signed with a JPKI signing key (CMS SignedData, detached or encapsulating the document)',
    description:
      'Refusals: 400 CMS_MALFORMED, CMS_NOT_SIGNED_DATA, CMS_CONTENT_MISSING, CMS_SIGNER_COUNT, CMS_SIGNER_CERTIFICATE_MISSING, ' +
      'CMS_SIGNED_ATTRIBUTE_MISSING, CERTIFICATE_MALFORMED; 413 PAYLOAD_TOO_LARGE; 422 CMS_MESSAGE_DIGEST_MISMATCH (another document), ' +
      'CMS_CONTENT_MISMATCH, CMS_SIGNATURE_INVALID, CHAIN_UNTRUSTED, CERTIFICATE_NOT_FOR_SIGNING (e.g. a user-authentication ' +
      'certificate; details.validationReason), CERTIFICATE_EXPIRED, PERSONAL_DATA_MISSING; 403 CERTIFICATE_REVOKED ' +
      '(details.revocationReason, e.g. affiliationChanged after an address change), CERTIFICATE_ON_HOLD, CERTIFICATE_STATUS_UNKNOWN, ' +
      'ISSUING_CA_REVOKED; 503 STATUS_UNAVAILABLE, CRL_STALE, CRL_UNAVAILABLE. Nothing is stored for a refused application.',
  })
  @ApiZodBody(submitApplicationSchema)
  @ApiZodResponse(201, applicationViewSchema, 'the accepted application')
  @ApiErrors(400, 403, 413, 422, 503)
  submit(@ValidBody(submitApplicationSchema) body: SubmitApplication): Promise<ApplicationView> {
    return this.applications.submit(body);
  }

  @Get(':applicationId')
  @RequireRoles('operator', 'auditor')
  @ApiOperation({ summary: 'An accepted application, with the signer’s personal data (the RP’s staff)' })
  @ApiZodResponse(200, applicationViewSchema, 'the application')
  @ApiErrors(400, 401, 403, 404)
  get(@Param('applicationId', new ParseUUIDPipe()) applicationId: string): Promise<ApplicationView> {
    return this.applications.get(applicationId);
  }
}
