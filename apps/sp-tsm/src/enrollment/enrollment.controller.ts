import { Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod/v4';
import { msisdnSchema } from '@jpki/contracts';
import { ApiErrors, ApiZodBody, ApiZodQuery, ApiZodResponse, ValidBody, ValidQuery } from '@jpki/service-kit';
import { enrollmentRequestSchema, enrollmentViewSchema, type EnrollmentRequest, type EnrollmentView } from './enrollment.schemas';
import { EnrollmentService } from './enrollment.service';

const listQuery = z.object({ msisdn: msisdnSchema });

@ApiTags('enrollments')
@Controller('enrollments')
export class EnrollmentController {
  constructor(private readonly enrollments: EnrollmentService) {}

  @Post()
  @HttpCode(202)
  @ApiOperation({ summary: 'Start enrolling a phone: the JPKI-UI app sends the application signed with the My Number card' })
  @ApiZodBody(enrollmentRequestSchema)
  @ApiZodResponse(202, enrollmentViewSchema, 'accepted; follow it with GET /enrollments/{id}')
  @ApiErrors(400, 409)
  start(@ValidBody(enrollmentRequestSchema) body: EnrollmentRequest): Promise<EnrollmentView> {
    return this.enrollments.start(body);
  }

  @Get(':id')
  @ApiOperation({ summary: 'State, current step and history of an enrollment' })
  @ApiZodResponse(200, enrollmentViewSchema, 'the enrollment')
  @ApiErrors(404)
  get(@Param('id') id: string): Promise<EnrollmentView> {
    return this.enrollments.view(id);
  }

  @Get()
  @ApiOperation({ summary: 'Enrollment ids of a phone number, newest first' })
  @ApiZodQuery(listQuery)
  @ApiZodResponse(200, z.object({ enrollmentIds: z.array(z.string()) }), 'ids')
  async list(@ValidQuery(listQuery) q: z.infer<typeof listQuery>): Promise<{ enrollmentIds: string[] }> {
    return { enrollmentIds: await this.enrollments.findByMsisdn(q.msisdn) };
  }
}
