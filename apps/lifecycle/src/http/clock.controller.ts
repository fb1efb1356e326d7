import { Controller, Get, HttpCode, HttpStatus, Inject, Post, UseFilters, UseGuards } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import type { z } from 'zod/v4';
import { SimulationClockSet } from '@jpki/contracts';
import { Outbox } from '@jpki/messaging';
import { createLogger } from '@jpki/observability';
import {
  ApiErrors,
  ApiZodBody,
  ApiZodResponse,
  AuditAction,
  AuditContextGuard,
  Clock,
  clockMoveRefusal,
  type ClockMoveRefusal,
  conflict,
  DAY_MS,
  DomainHttpException,
  Operator,
  type OperatorPrincipal,
  RefusedCallAuditFilter,
  requirePlatformScope,
  RequireRoles,
  unprocessable,
  ValidBody,
} from '@jpki/service-kit';
import type { LifecycleConfig } from '../config';
import { AuditLog } from '../domain/audit-log';
import { RenewalSweep } from '../renewal/renewal-sweep';
import { LIFECYCLE_CONFIG } from '../tokens';
import { clockAdvanceSchema, clockViewSchema, sweepResultSchema } from './schemas';

/** The HTTP answer to a refused clock move: off (production), backwards, or beyond the configured jump. */
function refused(r: ClockMoveRefusal): DomainHttpException {
  if (r.reason === 'CLOCK_DISABLED') return new DomainHttpException(HttpStatus.FORBIDDEN, r.reason, r.detail);
  if (r.reason === 'CLOCK_NOT_FORWARD') return conflict(r.reason, r.detail);
  return unprocessable(r.reason, r.detail);
}

/**
 * The environment's simulation clock (integrators): forward only, by at most SIMULATION_CLOCK_MAX_JUMP_DAYS at a time,
 * and off where that is 0 (production). This service is the clock authority: the change is broadcast on
 * `platform.clock`, signed with its key, and every service instance follows it (service-kit ClockFeed, which ignores
 * anything not signed by lifecycle or beyond the same bound). This service moves its own clock at once and, once the
 * others have had `CLOCK_SETTLE_MS` to follow, runs the renewal and expiry sweep.
 */
@ApiTags('simulation clock and renewal')
@Controller()
@UseGuards(AuditContextGuard)
@UseFilters(RefusedCallAuditFilter)
export class ClockController {
  private readonly log = createLogger('lifecycle.clock');

  constructor(
    private readonly ds: DataSource,
    private readonly outbox: Outbox,
    private readonly clock: Clock,
    private readonly audit: AuditLog,
    private readonly sweep: RenewalSweep,
    @Inject(LIFECYCLE_CONFIG) private readonly config: LifecycleConfig,
  ) {}

  @Get('clock')
  @RequireRoles('integrator', 'operator', 'auditor')
  @AuditAction('clock.read')
  @ApiOperation({ summary: 'The simulation clock of this environment' })
  @ApiZodResponse(200, clockViewSchema, 'now')
  @ApiErrors(401, 403)
  async read(@Operator() operator: OperatorPrincipal): Promise<z.infer<typeof clockViewSchema>> {
    await this.audit.record({ actor: `operator:${operator.sub}`, roles: operator.roles, action: 'clock.read', outcome: 'ok', statusCode: 200 });
    return this.view();
  }

  @Post('clock')
  @HttpCode(200)
  @RequireRoles('integrator')
  @AuditAction('clock.advance')
  @ApiOperation({
    summary: 'Move the simulation clock forward (integrators only)',
    description:
      'Every service reads time as machine time + offset. Certificates expire, renewals open, OCSP and CRLs are dated by it. It never goes back, ' +
      'moves at most SIMULATION_CLOCK_MAX_JUMP_DAYS at a time (422 CLOCK_JUMP_TOO_LARGE) and is off where that is 0, as in production (403 CLOCK_DISABLED).',
  })
  @ApiZodBody(clockAdvanceSchema)
  @ApiZodResponse(200, clockViewSchema, 'the new time')
  @ApiErrors(400, 401, 403, 409, 422)
  async advance(@ValidBody(clockAdvanceSchema) body: z.infer<typeof clockAdvanceSchema>, @Operator() operator: OperatorPrincipal) {
    requirePlatformScope(operator, 'the simulation clock');
    const previous = this.clock.offset;
    const offsetMs = body.offsetMs ?? previous + (body.advanceMs ?? Math.round((body.advanceDays ?? 0) * DAY_MS));
    const refusal = clockMoveRefusal(previous, offsetMs, this.config.SIMULATION_CLOCK_MAX_JUMP_DAYS * DAY_MS);
    if (refusal) throw refused(refusal);
    await this.ds.transaction(async (m) => {
      await this.outbox.publish(m, SimulationClockSet, { offsetMs, setBy: `operator:${operator.sub}`, reason: body.reason });
      await this.audit.record(
        {
          actor: `operator:${operator.sub}`,
          roles: operator.roles,
          action: 'clock.advance',
          target: 'clock',
          reason: body.reason,
          outcome: 'ok',
          statusCode: 200,
          details: { previousOffsetMs: previous, offsetMs, now: new Date(Date.now() + offsetMs).toISOString() },
        },
        m,
      );
    });
    this.clock.setOffset(offsetMs);
    setTimeout(() => void this.sweep.sweep().catch((err) => this.log.error({ err }, 'sweep after the clock moved failed')), this.config.CLOCK_SETTLE_MS).unref();
    return this.view();
  }

  @Post('renewals/sweep')
  @HttpCode(200)
  @RequireRoles('integrator', 'operator')
  @AuditAction('renewal.sweep')
  @ApiOperation({ summary: 'Run the renewal and expiry sweep now (it also runs on a timer and after every clock move)' })
  @ApiZodResponse(200, sweepResultSchema, 'renewal cases opened and phones newly expired')
  @ApiErrors(401, 403)
  async runSweep(@Operator() operator: OperatorPrincipal): Promise<z.infer<typeof sweepResultSchema>> {
    requirePlatformScope(operator, 'the renewal sweep');
    const result = await this.sweep.sweep();
    await this.audit.record({ actor: `operator:${operator.sub}`, roles: operator.roles, action: 'renewal.sweep', outcome: 'ok', statusCode: 200, details: result });
    return result;
  }

  private view(): z.infer<typeof clockViewSchema> {
    return { now: this.clock.now().toISOString(), machineNow: new Date().toISOString(), offsetMs: this.clock.offset, offsetDays: this.clock.offset / DAY_MS };
  }
}
