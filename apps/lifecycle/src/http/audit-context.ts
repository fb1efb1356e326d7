import { Catch, Injectable, SetMetadata, type ArgumentsHost, type CanActivate, type ExceptionFilter, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { createLogger } from '@jpki/observability';
import { HttpErrorFilter, httpErrorBody, type OperatorPrincipal } from '@jpki/service-kit';
import { AuditLog } from '../domain/audit-log';

const ACTION_KEY = 'lifecycle-audit-action';

export type AuditedRequest = Request & { operator?: OperatorPrincipal; auditAction?: string };

/** Names the audited action of an endpoint (also for calls refused before the handler runs). */
export const AuditAction = (action: string) => SetMetadata(ACTION_KEY, action);

/**
 * Runs first (controller-level guard, before the role guard of each route): remembers which action the request is,
 * so a refusal by the role guard, the input check, the body validation or the handler can be audited under that name.
 */
@Injectable()
export class AuditContextGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(ctx: ExecutionContext): boolean {
    const req = ctx.switchToHttp().getRequest<AuditedRequest>();
    req.auditAction = this.reflector.get<string>(ACTION_KEY, ctx.getHandler()) ?? `${req.method} ${req.route?.path ?? req.path}`;
    return true;
  }
}

/** The unverified subject of a bearer token that failed verification (recorded as a claim, never trusted). */
function claimedSubject(req: Request): string | null {
  const token = (req.header('authorization') ?? '').replace(/^Bearer /, '');
  try {
    const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { sub?: unknown };
    return typeof claims.sub === 'string' ? claims.sub.slice(0, 128) : null;
  } catch {
    return null;
  }
}

/** The status and reason the caller is answered with (the shared error body's). */
function statusAndReason(exception: unknown): { status: number; reason: string } {
  const { status, body } = httpErrorBody(exception);
  return { status, reason: String(body['reason'] ?? `HTTP_${status}`) };
}

const hasQuery = (req: Request) => Object.keys(req.query ?? {}).length > 0;

/** The query of a refused call, as the caller sent it (bounded: 20 parameters, 200 characters each; escaped on write). */
function queryOf(req: Request): Record<string, string | string[]> {
  const cut = (v: unknown) => String(v).slice(0, 200);
  return Object.fromEntries(
    Object.entries(req.query ?? {})
      .slice(0, 20)
      .map(([k, v]) => [k.slice(0, 64), Array.isArray(v) ? v.slice(0, 5).map(cut) : cut(v)]),
  );
}

/** What the request was about, for the audit entry: the path parameter, or the body's phone selector. */
function targetOf(req: AuditedRequest): string | null {
  const params = Object.values(req.params ?? {});
  if (params.length > 0) return params.join('/');
  const body = (req.body ?? {}) as Record<string, unknown>;
  for (const key of ['serial', 'iccid', 'msisdn', 'personId']) if (typeof body[key] === 'string') return `${key}:${String(body[key])}`;
  return null;
}

/**
 * Every refused call is audited too (401, 403, 400, 404, 409, 413…): who (the verified principal, or `anonymous` with
 * the token's claimed subject), what, when, why (the reason given, if any) and the refusal. Then the shared error body.
 * Refusals of the input itself (a NUL byte in a parameter, a body over the limit or not JSON: service-kit's
 * http-input.ts) are raised inside the route, so they reach this filter too; AuditLog stores the offending values
 * escaped (`\u0000`), never raw.
 */
@Catch()
export class AuditedErrorFilter implements ExceptionFilter {
  private readonly log = createLogger('lifecycle.audit');
  private readonly inner = new HttpErrorFilter();

  constructor(private readonly audit: AuditLog) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const req = host.switchToHttp().getRequest<AuditedRequest>();
    const { status, reason } = statusAndReason(exception);
    const body = (req.body ?? {}) as Record<string, unknown>;
    const entry = {
      actor: req.operator ? `operator:${req.operator.sub}` : 'anonymous',
      roles: req.operator?.roles ?? [],
      action: req.auditAction ?? `${req.method} ${req.path}`,
      target: targetOf(req),
      reason: typeof body['reason'] === 'string' ? (body['reason'] as string) : null,
      outcome: `refused:${reason}`,
      statusCode: status,
      details: {
        method: req.method,
        path: req.path,
        ...(hasQuery(req) ? { query: queryOf(req) } : {}),
        ...(req.operator ? {} : { claimedSubject: claimedSubject(req) }),
      },
    };
    this.audit
      .record(entry)
      .catch((err) => this.log.error({ err, entry }, 'could not audit a refused call'))
      .finally(() => this.inner.catch(exception, host));
  }
}
