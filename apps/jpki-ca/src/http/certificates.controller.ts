import { Controller, Get, HttpCode, Param, Post, UseFilters, UseGuards } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { z } from 'zod/v4';
import { serialSchema } from '@jpki/contracts';
import {
  ApiErrors,
  ApiZodBody,
  ApiZodResponse,
  AuditContextGuard,
  badRequest,
  Clock,
  conflict,
  DomainHttpException,
  notFound,
  Operator,
  type OperatorPrincipal,
  RefusedCallAuditFilter,
  RequireRoles,
  ValidBody,
} from '@jpki/service-kit';
import { HttpStatus } from '@nestjs/common';
import { CaTransactions } from '../ra/ca-transaction';
import { requireCertificateScope } from '../ra/operator-scope';
import { RevocationService, type RevocationOutcome } from '../ra/revocation.service';
import { CaStore } from '../storage/ca-store';
import type { CertificateRow } from '../storage/types';
import { certificateSummary } from './presenters';
import { certificateRevocationSchema, certificateSummarySchema, revocationResultSchema } from './schemas';

function checkSerial(serial: string): string {
  const normalized = serial.toUpperCase();
  if (!serialSchema.safeParse(normalized).success) throw badRequest('SERIAL_INVALID', 'serial: upper-case hex, 2–40 digits');
  return normalized;
}

function answer(outcome: RevocationOutcome): z.infer<typeof revocationResultSchema> {
  if (!outcome.ok) {
    if (outcome.reason === 'CERTIFICATE_UNKNOWN') throw notFound(outcome.reason, outcome.detail);
    if (outcome.reason === 'REASON_NOT_ALLOWED') throw badRequest(outcome.reason, outcome.detail);
    throw new DomainHttpException(HttpStatus.CONFLICT, outcome.reason, outcome.detail);
  }
  return { changed: outcome.changed.map(certificateSummary), cascaded: outcome.cascaded.map(certificateSummary) };
}

/** Operator access to single certificates (the same RA policy as the Kafka commands). */
@ApiTags('certificates')
@Controller('certificates')
@UseGuards(AuditContextGuard)
@UseFilters(RefusedCallAuditFilter)
export class CertificatesController {
  constructor(
    private readonly store: CaStore,
    private readonly revocations: RevocationService,
    private readonly transactions: CaTransactions,
    private readonly clock: Clock,
  ) {}

  @Get(':serial')
  @RequireRoles('operator', 'integrator', 'auditor')
  @ApiParam({ name: 'serial', example: '3F2A…' })
  @ApiOperation({ summary: 'A subscriber certificate with its status' })
  @ApiZodResponse(200, certificateSummarySchema, 'the certificate')
  @ApiErrors(400, 401, 403, 404)
  async get(@Param('serial') serial: string, @Operator() operator: OperatorPrincipal): Promise<z.infer<typeof certificateSummarySchema>> {
    const row = await this.inScope(checkSerial(serial), operator);
    await this.transactions.run(`operator:${operator.sub}`, async (tx) => tx.audit({ occurredAt: this.clock.now(), action: 'certificate.viewed', subject: row.serial }));
    return certificateSummary(row);
  }

  @Post(':serial/revocation')
  @HttpCode(200)
  @RequireRoles('operator')
  @ApiOperation({ summary: 'Revoke or hold a certificate (card certificates cascade to the person’s phones)' })
  @ApiZodBody(certificateRevocationSchema)
  @ApiZodResponse(200, revocationResultSchema, 'status changed')
  @ApiErrors(400, 401, 403, 404, 409)
  async revoke(
    @Param('serial') serial: string,
    @ValidBody(certificateRevocationSchema) body: z.infer<typeof certificateRevocationSchema>,
    @Operator() operator: OperatorPrincipal,
  ): Promise<z.infer<typeof revocationResultSchema>> {
    const target = checkSerial(serial);
    await this.inScope(target, operator);
    const outcome = await this.transactions.run(`operator:${operator.sub}`, (tx) =>
      this.revocations.revoke(tx, { target: { by: 'serial', serial: target }, reason: body.reason, requestedBy: operator.sub, comment: body.comment }),
    );
    return answer(outcome);
  }

  @Post(':serial/hold-release')
  @HttpCode(200)
  @RequireRoles('operator')
  @ApiOperation({ summary: 'Release a hold (phone user-authentication certificates only; card holds are never released)' })
  @ApiZodResponse(200, revocationResultSchema, 'hold released')
  @ApiErrors(400, 401, 403, 404, 409)
  async releaseHold(@Param('serial') serial: string, @Operator() operator: OperatorPrincipal): Promise<z.infer<typeof revocationResultSchema>> {
    const target = checkSerial(serial);
    await this.inScope(target, operator);
    const outcome = await this.transactions.run(`operator:${operator.sub}`, (tx) =>
      this.revocations.releaseHold(tx, { serial: target, requestedBy: operator.sub }),
    );
    if (!outcome.ok && outcome.reason === 'HOLD_NOT_RELEASABLE') throw conflict(outcome.reason, outcome.detail);
    return answer(outcome);
  }

  /** The certificate, if the token may see and change it (a carrier's staff: its phone certificates only). */
  private async inScope(serial: string, operator: OperatorPrincipal): Promise<CertificateRow> {
    const row = await this.store.findCertificate(serial);
    if (!row) throw notFound('CERTIFICATE_UNKNOWN', `no subscriber certificate ${serial}`);
    requireCertificateScope(operator, row);
    return row;
  }
}
