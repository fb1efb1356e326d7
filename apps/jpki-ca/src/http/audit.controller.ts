import { Controller, Get, UseFilters, UseGuards } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { z } from 'zod/v4';
import { ApiErrors, ApiZodQuery, ApiZodResponse, AuditContextGuard, Clock, Operator, type OperatorPrincipal, RefusedCallAuditFilter, requirePlatformScope, RequireRoles, ValidQuery } from '@jpki/service-kit';
import { CaTransactions } from '../ra/ca-transaction';
import { CaStore } from '../storage/ca-store';
import { auditQuerySchema, auditVerificationSchema } from './schemas';

/** The append-only, hash-chained audit log (auditors only). */
@ApiTags('audit')
@Controller('audit')
@UseGuards(AuditContextGuard)
@UseFilters(RefusedCallAuditFilter)
export class AuditController {
  constructor(
    private readonly store: CaStore,
    private readonly transactions: CaTransactions,
    private readonly clock: Clock,
  ) {}

  @Get('verify')
  @RequireRoles('auditor')
  @ApiOperation({ summary: 'Recompute the hash chain of the audit log (audit_log_verify()): modified or removed entries are reported' })
  @ApiZodResponse(200, auditVerificationSchema, 'verification result')
  @ApiErrors(401, 403)
  async verify(@Operator() operator: OperatorPrincipal): Promise<z.infer<typeof auditVerificationSchema>> {
    requirePlatformScope(operator, 'the CA audit log');
    const result = await this.store.verifyAudit();
    await this.transactions.run(`operator:${operator.sub}`, async (tx) =>
      tx.audit({ occurredAt: this.clock.now(), action: 'audit.verified', details: { valid: result.valid, entries: result.entries, headHash: result.headHash } }),
    );
    return result;
  }

  @Get()
  @RequireRoles('auditor')
  @ApiOperation({ summary: 'Audit entries in chain order' })
  @ApiZodQuery(auditQuerySchema)
  @ApiErrors(400, 401, 403)
  async list(@ValidQuery(auditQuerySchema) query: z.infer<typeof auditQuerySchema>, @Operator() operator: OperatorPrincipal) {
    requirePlatformScope(operator, 'the CA audit log');
    const rows = await this.store.listAudit(query.after, query.limit, { action: query.action, subject: query.subject });
    await this.transactions.run(`operator:${operator.sub}`, async (tx) => tx.audit({ occurredAt: this.clock.now(), action: 'audit.listed', details: { ...query } }));
    return rows.map((r) => ({ ...r, occurredAt: r.occurredAt.toISOString(), recordedAt: r.recordedAt.toISOString() }));
  }
}
