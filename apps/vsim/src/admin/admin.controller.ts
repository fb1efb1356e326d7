import { Controller, Get, Param, Put, UseFilters } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { z } from 'zod/v4';
import { ApiErrors, ApiZodBody, ApiZodResponse, Operator, RefusedCallAuditFilter, RequireRoles, ValidBody, type OperatorPrincipal } from '@jpki/service-kit';
import { parseIccid } from '../handset/iccid-param';
import { handsetBindingBody, handsetBindingResponse, powerBody, powerResponse, simSummary } from '../http-schemas';
import { AdminService } from './admin.service';

@ApiTags('sims')
@Controller('sims/:iccid')
@UseFilters(RefusedCallAuditFilter)
export class AdminController {
  constructor(private readonly admin: AdminService) {}

  @Put('handset')
  @RequireRoles('integrator', 'operator')
  @ApiOperation({ summary: "Switch a SIM's handset off (airplane mode / out of coverage) or on; a change power-cycles the card" })
  @ApiParam({ name: 'iccid' })
  @ApiZodBody(powerBody)
  @ApiZodResponse(200, powerResponse, 'the handset state now')
  @ApiErrors(400, 401, 403, 404)
  setPower(@Param('iccid') iccid: string, @ValidBody(powerBody) body: z.infer<typeof powerBody>, @Operator() operator: OperatorPrincipal) {
    return this.admin.setPower(parseIccid(iccid), body.power, operator);
  }

  @Put('handset-binding')
  @RequireRoles('integrator', 'operator')
  @ApiOperation({
    summary:
      'Put the SIM in a handset: bind it to the IMEI and device public key that must sign every handset-channel call; ' +
      'moving it to another handset power-cycles the card. A carrier-scoped token binds only its own carrier\'s SIMs.',
  })
  @ApiParam({ name: 'iccid' })
  @ApiZodBody(handsetBindingBody)
  @ApiZodResponse(200, handsetBindingResponse, 'the handset the SIM is in now')
  @ApiErrors(400, 401, 403, 404)
  bindHandset(@Param('iccid') iccid: string, @ValidBody(handsetBindingBody) body: z.infer<typeof handsetBindingBody>, @Operator() operator: OperatorPrincipal) {
    return this.admin.bindHandset(parseIccid(iccid), body.imei, body.devicePublicKey, operator);
  }

  @Get()
  @RequireRoles('auditor', 'integrator')
  @ApiOperation({ summary: 'Inspect a SIM: carrier, generation, power, revision, registry summary (never keys, PINs or images)' })
  @ApiParam({ name: 'iccid' })
  @ApiZodResponse(200, simSummary, 'the card as the registry sees it')
  @ApiErrors(400, 401, 403, 404)
  inspect(@Param('iccid') iccid: string, @Operator() operator: OperatorPrincipal) {
    return this.admin.inspect(parseIccid(iccid), operator);
  }
}
