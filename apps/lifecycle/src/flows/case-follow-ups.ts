import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Clock, conflict, notFound, requireCarrierScope, type OperatorPrincipal } from '@jpki/service-kit';
import { AuditLog } from '../domain/audit-log';
import { CaseService } from './case-service';
import type { CaseRow } from './case-types';

/**
 * An operator's follow-up of a case waiting for a phone to come online (a device change waiting for the old phone, a
 * loss or found whose SSD operation is queued): who contacted the holder, when and why, appended to the case's
 * `result.followUps` and audited. The queued card operation itself is the carrier's: it runs when the phone is back.
 */
@Injectable()
export class CaseFollowUps {
  constructor(
    private readonly ds: DataSource,
    private readonly cases: CaseService,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
  ) {}

  record(operator: OperatorPrincipal, caseId: string, reason: string): Promise<CaseRow> {
    return this.ds.transaction(async (m) => {
      const row = await this.cases.row(caseId, m, true);
      if (!row) throw notFound('CASE_UNKNOWN', `no case ${caseId}`);
      requireCarrierScope(operator, row.carrier, `case ${caseId}`);
      if (row.status !== 'waiting-device') throw conflict('CASE_NOT_WAITING', `case ${caseId} is ${row.status}: only a case waiting for the phone is followed up`, { status: row.status });
      const by = `operator:${operator.sub}`;
      const followUp = { at: this.clock.now().toISOString(), by, reason };
      await m.query(`UPDATE lifecycle_case SET result = result || jsonb_build_object('followUps', coalesce(result->'followUps', '[]'::jsonb) || $2::jsonb), updated_at = now() WHERE id = $1`, [
        caseId,
        JSON.stringify([followUp]),
      ]);
      await this.audit.record({ actor: by, roles: operator.roles, action: 'case.follow-up', target: caseId, reason, outcome: 'ok', statusCode: 200, caseId }, m);
      const updated = await this.cases.row(caseId, m);
      if (!updated) throw new Error(`case ${caseId} vanished`);
      return updated;
    });
  }
}
