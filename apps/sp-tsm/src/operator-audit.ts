import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { authenticationRefusals, Clock, printable, printableJson, type OperatorPrincipal, type RefusedCall, type RefusedCallAudit } from '@jpki/service-kit';

/** Records an operator's read of data that identifies a subscriber (who, what, when). */
export async function recordOperatorRead(m: EntityManager, at: Date, op: OperatorPrincipal, action: string, target: string, details: Record<string, unknown> = {}): Promise<void> {
  await m.query(`INSERT INTO operator_audit (at, actor, roles, action, target, outcome, details) VALUES ($1, $2, $3, $4, $5, 'ok', $6)`, [
    at,
    `operator:${op.sub}`,
    op.roles,
    action,
    target,
    JSON.stringify(details),
  ]);
}

/**
 * The operator reads the authentication refuses (401, 403: no token, a bad one or one for another service, a missing
 * role) are audited under the read's action, as at the CA, lifecycle and the MNO-TSMs: who (the verified principal, or
 * `anonymous` with the subject the token claims), the number or iPhone asked about, as sent (escaped), and why.
 */
@Injectable()
export class SpTsmRefusedCalls implements RefusedCallAudit {
  constructor(
    private readonly ds: DataSource,
    private readonly clock: Clock,
  ) {}

  audits(status: number): boolean {
    return authenticationRefusals(status);
  }

  async record({ request: req, action, status, reason, claimedSubject }: RefusedCall): Promise<void> {
    const askedFor = [req.query['msisdn'], req.query['deviceId']].find((v): v is string => typeof v === 'string');
    await this.ds.query(`INSERT INTO operator_audit (at, actor, roles, action, target, outcome, details) VALUES ($1, $2, $3, $4, $5, $6, $7)`, [
      this.clock.now(),
      req.operator ? `operator:${req.operator.sub}` : 'anonymous',
      req.operator?.roles ?? [],
      action,
      askedFor === undefined ? null : printable(askedFor, 64),
      `refused:${reason}`,
      JSON.stringify(printableJson({ status, method: req.method, path: req.path, ...(req.operator ? { carrier: req.operator.carrier ?? null } : { claimedSubject }) })),
    ]);
  }
}
