import type { EntityManager } from 'typeorm';
import type { OperatorPrincipal } from '@jpki/service-kit';

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
