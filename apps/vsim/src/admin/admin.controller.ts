import { Controller, Get, Param, Put, UseFilters } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { z } from 'zod/v4';
import { ApiErrors, ApiZodBody, ApiZodResponse, Operator, RefusedCallAuditFilter, RequireRoles, ValidBody, type OperatorPrincipal } from '@jpki/service-kit';
import { parseSeid } from '../handset/seid-param';
import { handsetBindingBody, handsetBindingResponse, powerBody, powerResponse, seSummary } from '../http-schemas';
import { AdminService } from './admin.service';

@ApiTags('sims')
@Controller('sims/:seid')
@UseFilters(RefusedCallAuditFilter)
export class AdminController {
  constructor(private readonly admin: AdminService) {}

  @Put('handset')
  @RequireRoles('integrator', 'operator')
  @ApiOperation({ summary: "Switch the handset of a SIM or eSE off (airplane mode / out of coverage) or on; a change power-cycles the card" })
  @ApiParam({ name: 'seid' })
  @ApiZodBody(powerBody)
  @ApiZodResponse(200, powerResponse, 'the handset state now')
  @ApiErrors(400, 401, 403, 404)
  setPower(@Param('seid') seid: string, @ValidBody(powerBody) body: z.infer<typeof powerBody>, @Operator() operator: OperatorPrincipal) {
    return this.admin.setPower(parseSeid(seid), body.power, operator);
  }

  @Put('handset-binding')
  @RequireRoles('integrator', 'operator')
  @ApiOperation({
    summary:
      'Put the SIM in a handset (or record the handset an eSE is built into): bind the card to the IMEI and device public key that must ' +
      'sign every handset-channel call; moving it to another handset power-cycles the card. A carrier-scoped token binds only its own carrier\'s SIMs, never an eSE.',
  })
  @ApiParam({ name: 'seid' })
  @ApiZodBody(handsetBindingBody)
  @ApiZodResponse(200, handsetBindingResponse, 'the handset the card is in now')
  @ApiErrors(400, 401, 403, 404)
  bindHandset(@Param('seid') seid: string, @ValidBody(handsetBindingBody) body: z.infer<typeof handsetBindingBody>, @Operator() operator: OperatorPrincipal) {
    return this.admin.bindHandset(parseSeid(seid), body.imei, body.devicePublicKey, operator);
  }

  @Get()
  @RequireRoles('auditor', 'integrator')
  @ApiOperation({ summary: 'Inspect a SIM or eSE: kind, carrier, generation, power, revision, registry summary (never keys, PINs or images)' })
  @ApiParam({ name: 'seid' })
  @ApiZodResponse(200, seSummary, 'the card as the registry sees it')
  @ApiErrors(400, 401, 403, 404)
  inspect(@Param('seid') seid: string, @Operator() operator: OperatorPrincipal) {
    return this.admin.inspect(parseSeid(seid), operator);
  }
}
