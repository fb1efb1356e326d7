import { Controller, Delete, Get, Param, Put, UseFilters } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { z } from 'zod/v4';
import { carrierSchema } from '@jpki/contracts';
import { ApiErrors, ApiZodBody, ApiZodResponse, badRequest, Operator, RefusedCallAuditFilter, requirePlatformScope, RequireRoles, ValidBody, type OperatorPrincipal } from '@jpki/service-kit';
import { AdminService } from '../admin/admin.service';
import { bearerChange, bearerState } from '../http-schemas';

function carrierParam(raw: string) {
  const parsed = carrierSchema.safeParse(raw);
  if (!parsed.success) throw badRequest('CARRIER_UNKNOWN', `no carrier "${raw}"`);
  return parsed.data;
}

/** Each carrier's OTA bearer as the simulation runs it: integrators degrade it (fault injection) and restore it. */
@ApiTags('ota bearer')
@Controller('ota-bearer/:carrier')
@UseFilters(RefusedCallAuditFilter)
export class BearerController {
  constructor(private readonly admin: AdminService) {}

  @Get()
  @RequireRoles('auditor', 'integrator')
  @ApiOperation({ summary: "A carrier's OTA bearer now: latency, loss rate, and whether it is degraded" })
  @ApiParam({ name: 'carrier' })
  @ApiZodResponse(200, bearerState, 'the bearer now')
  @ApiErrors(400, 401, 403)
  state(@Param('carrier') carrier: string) {
    return this.admin.bearerState(carrierParam(carrier));
  }

  @Put()
  @RequireRoles('integrator')
  @ApiOperation({ summary: "Degrade a carrier's OTA bearer (a latency spike, a loss burst) until it is restored or vsim restarts; audited" })
  @ApiParam({ name: 'carrier' })
  @ApiZodBody(bearerChange)
  @ApiZodResponse(200, bearerState, 'the bearer now')
  @ApiErrors(400, 401, 403)
  degrade(@Param('carrier') carrier: string, @ValidBody(bearerChange) body: z.infer<typeof bearerChange>, @Operator() operator: OperatorPrincipal) {
    requirePlatformScope(operator, 'the OTA bearer');
    return this.admin.setBearer(carrierParam(carrier), body, operator);
  }

  @Delete()
  @RequireRoles('integrator')
  @ApiOperation({ summary: "Restore a carrier's OTA bearer to its configured profile; audited" })
  @ApiParam({ name: 'carrier' })
  @ApiZodResponse(200, bearerState, 'the bearer now')
  @ApiErrors(400, 401, 403)
  restore(@Param('carrier') carrier: string, @Operator() operator: OperatorPrincipal) {
    requirePlatformScope(operator, 'the OTA bearer');
    return this.admin.setBearer(carrierParam(carrier), 'configured', operator);
  }
}
