import { Injectable } from '@nestjs/common';
import type { Request } from 'express';
import type { AuditedRequest, RefusedCall, RefusedCallAudit } from '@jpki/service-kit';
import { AuditLog } from '../domain/audit-log';

/**
 * Every refused call is audited (401, 403, 400, 404, 409, 413…): who (the verified principal, or `anonymous` with the
 * token's claimed subject), what, when, why (the reason given, if any) and the refusal. Refusals of the input itself
 * (a NUL byte in a parameter, a body over the limit or not JSON: service-kit's http-input.ts) are raised inside the
 * route, so they are audited too; AuditLog stores the offending values escaped (`\u0000`), never raw.
 */
@Injectable()
export class LifecycleRefusedCalls implements RefusedCallAudit {
  constructor(private readonly audit: AuditLog) {}

  audits(): boolean {
    return true;
  }

  record({ request: req, action, status, reason, claimedSubject }: RefusedCall): Promise<void> {
    const body = (req.body ?? {}) as Record<string, unknown>;
    return this.audit.record({
      actor: req.operator ? `operator:${req.operator.sub}` : 'anonymous',
      roles: req.operator?.roles ?? [],
      action,
      target: targetOf(req),
      reason: typeof body['reason'] === 'string' ? body['reason'] : null,
      outcome: `refused:${reason}`,
      statusCode: status,
      details: {
        method: req.method,
        path: req.path,
        ...(Object.keys(req.query ?? {}).length > 0 ? { query: queryOf(req) } : {}),
        ...(req.operator ? {} : { claimedSubject }),
      },
    });
  }
}

/** The query of a refused call, as the caller sent it (bounded: 20 parameters, 200 characters each; escaped on write). */
function queryOf(req: Request): Record<string, string | string[]> {
  const cut = (v: unknown) => String(v).slice(0, 200);
  return Object.fromEntries(
    Object.entries(req.query ?? {})
      .slice(0, 20)
      .map(([k, v]) => [k.slice(0, 64), Array.isArray(v) ? v.slice(0, 5).map(cut) : cut(v)]),
  );
}

/** What the request was about: the path parameter, or the body's phone selector. */
function targetOf(req: AuditedRequest): string | null {
  const params = Object.values(req.params ?? {});
  if (params.length > 0) return params.join('/');
  const body = (req.body ?? {}) as Record<string, unknown>;
  for (const key of ['serial', 'iccid', 'msisdn', 'personId']) if (typeof body[key] === 'string') return `${key}:${String(body[key])}`;
  return null;
}
