import { Controller, Get, Param, Post, UseFilters } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { z } from 'zod/v4';
import {
  ApiErrors,
  ApiZodBody,
  ApiZodQuery,
  ApiZodResponse,
  Operator,
  OperatorAudit,
  type OperatorPrincipal,
  RefusedCallAuditFilter,
  requirePlatformScope,
  RequireRoles,
  ValidBody,
  ValidQuery,
} from '@jpki/service-kit';
import { auditQuerySchema, listSecureElementsSchema, manufactureSchema, secureElementPageSchema, secureElementViewSchema } from './schemas';
import { SecureElementsService } from './secure-elements.service';

const ESE_DATA = "the handsets' embedded SEs";

/**
 * Operator API of the handsets' eSEs. An eSE belongs to no carrier: only platform staff get in (a carrier-scoped token
 * is refused 403 CARRIER_SCOPE). Writes need the `operator` or `integrator` role; reads also accept `auditor`. Every
 * call is audited (who, what, when, outcome), its refusals too, and calls the authentication refused under their route.
 */
@ApiTags('embedded secure elements')
@Controller()
@UseFilters(RefusedCallAuditFilter)
export class SecureElementsController {
  constructor(
    private readonly secureElements: SecureElementsService,
    private readonly audit: OperatorAudit,
  ) {}

  @Post('secure-elements')
  @RequireRoles('operator', 'integrator')
  @ApiOperation({
    summary: 'Manufacture an eSE for a handset',
    description:
      'A new SEID (`E5` + 18 hex digits), the ISD keyset derived with the SEID as KDD and sealed to `vsim`, which manufactures the eSE ' +
      '(`ota.sim.manufacture-requested` on `ota.ese.down`). The eSE is `manufacturing` until `ota.sim.manufactured` arrives.',
  })
  @ApiZodBody(manufactureSchema)
  @ApiZodResponse(201, secureElementViewSchema, 'the eSE, manufacturing')
  @ApiErrors(400, 401, 403)
  manufacture(@Operator() op: OperatorPrincipal, @ValidBody(manufactureSchema) body: z.infer<typeof manufactureSchema>) {
    requirePlatformScope(op, ESE_DATA);
    return this.secureElements.manufacture(op, body.model);
  }

  @Get('secure-elements')
  @RequireRoles('operator', 'integrator', 'auditor')
  @ApiOperation({ summary: 'eSEs, newest first, a page at a time (`after`: the `next` of the previous page)' })
  @ApiZodQuery(listSecureElementsSchema)
  @ApiZodResponse(200, secureElementPageSchema, 'a page of eSEs')
  @ApiErrors(400, 401, 403)
  list(@Operator() op: OperatorPrincipal, @ValidQuery(listSecureElementsSchema) q: z.infer<typeof listSecureElementsSchema>) {
    requirePlatformScope(op, ESE_DATA);
    return this.secureElements.list(op, q);
  }

  @Get('secure-elements/:seid')
  @RequireRoles('operator', 'integrator', 'auditor')
  @ApiParam({ name: 'seid', example: 'E50102030405060708AB' })
  @ApiOperation({ summary: 'One eSE: its model, state, ISD and the free memory it last reported' })
  @ApiZodResponse(200, secureElementViewSchema, 'the eSE')
  @ApiErrors(400, 401, 403, 404)
  get(@Operator() op: OperatorPrincipal, @Param('seid') seid: string) {
    requirePlatformScope(op, ESE_DATA);
    return this.secureElements.find(op, seid);
  }

  @Get('audit-log')
  @RequireRoles('operator', 'integrator', 'auditor')
  @ApiOperation({ summary: 'Operator audit log, newest first (who, roles, action, target, outcome, when)' })
  @ApiZodQuery(auditQuerySchema)
  @ApiErrors(400, 401, 403)
  async auditLog(@Operator() op: OperatorPrincipal, @ValidQuery(auditQuerySchema) q: z.infer<typeof auditQuerySchema>) {
    requirePlatformScope(op, ESE_DATA);
    await this.audit.recordRead(op, 'audit-log.read', null, q);
    return this.audit.list(q);
  }
}
