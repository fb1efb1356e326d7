import { Controller, Get, HttpCode, Param, Post, UseFilters, UseGuards } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod/v4';
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
import { iphoneEnrollmentViewSchema, type IphoneEnrollmentView } from '@jpki/contracts';
import { iphoneDeviceIdSchema, iphoneEnrollmentRequestSchema, type IphoneEnrollmentRequest } from './iphone-enrollment.schemas';
import { IphoneEnrollmentService } from './iphone-enrollment.service';

const listQuery = z.object({ deviceId: iphoneDeviceIdSchema });

@ApiTags('iphone-enrollments')
@Controller('iphone-enrollments')
@UseGuards(AuditContextGuard)
export class IphoneEnrollmentController {
  constructor(private readonly enrollments: IphoneEnrollmentService) {}

  @Post()
  @HttpCode(202)
  @ApiOperation({
    summary:
      'Enroll an iPhone: the application signed with the My Number card, plus either a Secure Enclave CSR with its device ' +
      'attestation (method ② device-key) or an attested Secure Enclave key-agreement key (method ① ca-generated)',
  })
  @ApiZodBody(iphoneEnrollmentRequestSchema)
  @ApiZodResponse(202, iphoneEnrollmentViewSchema, 'accepted; follow it with GET /iphone-enrollments/{id}')
  @ApiErrors(400, 409, 422)
  start(@ValidBody(iphoneEnrollmentRequestSchema) body: IphoneEnrollmentRequest): Promise<IphoneEnrollmentView> {
    return this.enrollments.start(body);
  }

  @VersionedGet(':id')
  @ApiOperation({ summary: 'State and history of an iPhone enrollment; once issued, the certificate and (method ①) the key sealed to the device' })
  @ApiZodResponse(200, iphoneEnrollmentViewSchema, 'the enrollment')
  @ApiErrors(404)
  get(@Param('id') id: string, @ReadVersion() read: VersionedRead): Promise<Versioned<IphoneEnrollmentView>> {
    return this.enrollments.follow(id, read);
  }

  @Get()
  @RequireRoles('operator', 'integrator', 'auditor')
  @AuditAction('iphone-enrollments.listed')
  @UseFilters(RefusedCallAuditFilter)
  @ApiOperation({ summary: 'Enrollment ids of an iPhone, newest first (operators; audited: the ids lead to the certificate)' })
  @ApiZodQuery(listQuery)
  @ApiZodResponse(200, z.object({ enrollmentIds: z.array(z.string()) }), 'ids')
  @ApiErrors(400, 401, 403)
  async list(@ValidQuery(listQuery) q: z.infer<typeof listQuery>, @Operator() operator: OperatorPrincipal): Promise<{ enrollmentIds: string[] }> {
    return { enrollmentIds: await this.enrollments.findByDevice(operator, q.deviceId) };
  }
}
