import type { DataSource, EntityManager } from 'typeorm';
import { Clock } from './clock';
import { DomainHttpException } from './http-errors';
import { OperatorAudit, OperatorRefusedCalls } from './operator-audit';
import type { OperatorPrincipal } from './operator-auth';
import type { AuditedRequest, RefusedCall } from './refused-call-audit';

/** The rows OperatorAudit would insert, from a data source that only records its statements. */
function recordingDataSource() {
  const rows: Record<string, unknown>[] = [];
  const manager = {
    query: async (sql: string, params: unknown[]) => {
      if (sql.startsWith('INSERT INTO operator_audit')) {
        const [at, actor, roles, action, target, outcome, details] = params;
        rows.push({ at, actor, roles, action, target, outcome, details });
      }
      return [];
    },
  } as unknown as EntityManager;
  const ds = { manager, transaction: async <T>(fn: (m: EntityManager) => Promise<T>) => fn(manager) } as unknown as DataSource;
  return { ds, rows };
}

const operator: OperatorPrincipal = { sub: 'dora@docomo', roles: ['operator'], carrier: 'docomo' } as OperatorPrincipal;

function refusedCall(request: Partial<AuditedRequest>, overrides: Partial<RefusedCall> = {}): RefusedCall {
  return {
    request: { method: 'POST', path: '/subscribers/x', params: {}, query: {}, ...request } as AuditedRequest,
    action: 'subscriber.suspend',
    status: 403,
    reason: 'CARRIER_SCOPE',
    claimedSubject: null,
    ...overrides,
  };
}

describe('OperatorAudit (the one writer of operator_audit)', () => {
  it('names the actor with the service’s prefix, records acts in their transaction and refusals on their own', async () => {
    const { ds, rows } = recordingDataSource();
    const audit = new OperatorAudit(ds, new Clock(), 'operator:');
    await expect(audit.audited(operator, 'subscriber.create', '+819000000001', async () => ({ result: 42, details: { iccid: '8981' } }))).resolves.toBe(42);
    await expect(
      audit.audited(operator, 'subscriber.suspend', '+819000000001', async () => {
        throw new DomainHttpException(409, 'SUBSCRIBER_CANCELLED', 'cancelled');
      }),
    ).rejects.toThrow('cancelled');
    await audit.recordRead(operator, 'subscriber.read', '+819000000001');
    expect(rows.map(({ actor, action, outcome }) => `${actor} ${action} ${outcome}`)).toEqual([
      'operator:dora@docomo subscriber.create ok',
      'operator:dora@docomo subscriber.suspend refused:SUBSCRIBER_CANCELLED',
      'operator:dora@docomo subscriber.read ok',
    ]);
  });

  it('audits a refused call with the target as sent but escaped, the caller (or the subject a refused token claims) and the status', async () => {
    const { ds, rows } = recordingDataSource();
    const refusals = new OperatorRefusedCalls(new OperatorAudit(ds, new Clock()));
    await refusals.record(refusedCall({ params: { msisdn: '+81\u0000' }, operator }));
    await refusals.record(refusedCall({ params: {} }, { status: 401, reason: 'AUTH_INVALID', claimedSubject: 'mallory\u0000root' }));
    expect(rows).toEqual([
      expect.objectContaining({ actor: 'dora@docomo', roles: ['operator'], target: '+81\\u0000', outcome: 'refused:CARRIER_SCOPE', details: { status: 403, method: 'POST', path: '/subscribers/x', carrier: 'docomo' } }),
      expect.objectContaining({ actor: 'anonymous', roles: [], target: null, outcome: 'refused:AUTH_INVALID', details: { status: 401, method: 'POST', path: '/subscribers/x', claimedSubject: 'mallory\\u0000root' } }),
    ]);
    expect(refusals.audits(401) && refusals.audits(403) && !refusals.audits(409)).toBe(true);
  });
});
