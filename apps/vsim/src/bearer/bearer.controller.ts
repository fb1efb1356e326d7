import { Controller, Delete, Get, Param, Put, UseFilters } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { z } from 'zod/v4';
import { ApiErrors, ApiZodBody, ApiZodResponse, badRequest, Operator, RefusedCallAuditFilter, requirePlatformScope, RequireRoles, ValidBody, type OperatorPrincipal } from '@jpki/service-kit';
import { AdminService } from '../admin/admin.service';
import { bearerChange, bearerState } from '../http-schemas';
import { OTA_BEARERS } from './ota-bearer';

/** A carrier's name, or `ese` for the eSE push channel. */
function bearerParam(raw: string) {
  const parsed = z.enum(OTA_BEARERS).safeParse(raw);
  if (!parsed.success) throw badRequest('CARRIER_UNKNOWN', `no OTA bearer "${raw}" (${OTA_BEARERS.join(', ')})`);
  return parsed.data;
}

/**
 * Each carrier's OTA bearer and the eSE push channel (`ese`) as the simulation runs them: integrators degrade one
 * (fault injection) and restore it.
 */
@ApiTags('ota bearer')
@Controller('ota-bearer/:carrier')
@UseFilters(RefusedCallAuditFilter)
export class BearerController {
  constructor(private readonly admin: AdminService) {}

  @Get()
  @RequireRoles('auditor', 'integrator')
  @ApiOperation({ summary: "A carrier's OTA bearer (or `ese`, the eSE push channel) now: latency, loss rate, and whether it is degraded" })
  @ApiParam({ name: 'carrier', enum: OTA_BEARERS })
  @ApiZodResponse(200, bearerState, 'the bearer now')
  @ApiErrors(400, 401, 403)
  state(@Param('carrier') carrier: string) {
    return this.admin.bearerState(bearerParam(carrier));
  }

  @Put()
  @RequireRoles('integrator')
  @ApiOperation({ summary: "Degrade a carrier's OTA bearer or the eSE push channel (a latency spike, a loss burst) until it is restored or vsim restarts; audited" })
  @ApiParam({ name: 'carrier', enum: OTA_BEARERS })
  @ApiZodBody(bearerChange)
  @ApiZodResponse(200, bearerState, 'the bearer now')
  @ApiErrors(400, 401, 403)
  degrade(@Param('carrier') carrier: string, @ValidBody(bearerChange) body: z.infer<typeof bearerChange>, @Operator() operator: OperatorPrincipal) {
    requirePlatformScope(operator, 'the OTA bearer');
    return this.admin.setBearer(bearerParam(carrier), body, operator);
  }

  @Delete()
  @RequireRoles('integrator')
  @ApiOperation({ summary: "Restore a carrier's OTA bearer or the eSE push channel to its configured profile; audited" })
  @ApiParam({ name: 'carrier', enum: OTA_BEARERS })
  @ApiZodResponse(200, bearerState, 'the bearer now')
  @ApiErrors(400, 401, 403)
  restore(@Param('carrier') carrier: string, @Operator() operator: OperatorPrincipal) {
    requirePlatformScope(operator, 'the OTA bearer');
    return this.admin.setBearer(bearerParam(carrier), 'configured', operator);
  }
}
