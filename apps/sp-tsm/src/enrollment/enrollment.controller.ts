import { Controller, Get, HttpCode, Param, Post, UseFilters, UseGuards } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod/v4';
import { msisdnSchema } from '@jpki/contracts';
import {
  ApiErrors,
  ApiZodBody,
  ApiZodQuery,
  ApiZodResponse,
  AuditAction,
  AuditContextGuard,
  Operator,
  ReadVersion,
  RefusedCallAuditFilter,
  RequireRoles,
  ValidBody,
  ValidQuery,
  VersionedGet,
} from '@jpki/service-kit';
import type { OperatorPrincipal, Versioned, VersionedRead } from '@jpki/service-kit';
import { enrollmentViewSchema, type EnrollmentView } from '@jpki/contracts';
import { enrollmentRequestSchema, type EnrollmentRequest } from './enrollment.schemas';
import { EnrollmentService } from './enrollment.service';

const listQuery = z.object({ msisdn: msisdnSchema });

@ApiTags('enrollments')
@Controller('enrollments')
@UseGuards(AuditContextGuard)
export class EnrollmentController {
  constructor(private readonly enrollments: EnrollmentService) {}

  @Post()
  @HttpCode(202)
  @ApiOperation({
    summary: 'Start enrolling a phone: the JPKI-UI app sends the application signed with the My Number card',
    description:
      'The application is checked before anything is recorded: a CMS SignedData (400 APPLICATION_MALFORMED) whose signature verifies ' +
      '(400 APPLICATION_SIGNATURE_INVALID) over an application for this number, operator and key mode (422 APPLICATION_MISMATCH). ' +
      'The number is held once the CA has proven the applicant: while such an enrollment runs, another gets 409 ENROLLMENT_IN_PROGRESS.',
  })
  @ApiZodBody(enrollmentRequestSchema)
  @ApiZodResponse(202, enrollmentViewSchema, 'accepted; follow it with GET /enrollments/{id}')
  @ApiErrors(400, 409, 422)
  start(@ValidBody(enrollmentRequestSchema) body: EnrollmentRequest): Promise<EnrollmentView> {
    return this.enrollments.start(body);
  }

  @VersionedGet(':id')
  @ApiOperation({
    summary: 'State, current step and history of an enrollment',
    description:
      'No token: the unguessable id, returned only to whoever started the enrollment, is the capability. It shows that enrollment only. ' +
      'Send the ETag back in If-None-Match with Prefer: wait=<seconds> to be answered at its next change (long polling) instead of polling.',
  })
  @ApiZodResponse(200, enrollmentViewSchema, 'the enrollment')
  @ApiErrors(404)
  get(@Param('id') id: string, @ReadVersion() read: VersionedRead): Promise<Versioned<EnrollmentView>> {
    return this.enrollments.follow(id, read);
  }

  @Get()
  @RequireRoles('operator', 'integrator', 'auditor')
  @AuditAction('enrollments.listed')
  @UseFilters(RefusedCallAuditFilter)
  @ApiOperation({ summary: 'Enrollment ids of a phone number, newest first (operators; audited: the ids lead to the ICCID and serial)' })
  @ApiZodQuery(listQuery)
  @ApiZodResponse(200, z.object({ enrollmentIds: z.array(z.string()) }), 'ids')
  @ApiErrors(400, 401, 403)
  async list(@ValidQuery(listQuery) q: z.infer<typeof listQuery>, @Operator() operator: OperatorPrincipal): Promise<{ enrollmentIds: string[] }> {
    return { enrollmentIds: await this.enrollments.findByMsisdn(operator, q.msisdn) };
  }
}
