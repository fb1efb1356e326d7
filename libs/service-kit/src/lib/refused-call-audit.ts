import {
  Catch,
  Inject,
  Injectable,
  SetMetadata,
  type ArgumentsHost,
  type CanActivate,
  type ExceptionFilter,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { createLogger } from '@jpki/observability';
import { HttpErrorFilter, httpErrorBody } from './http-errors';
import type { OperatorPrincipal } from './operator-auth';

const ACTION_KEY = 'audited-action';

export type AuditedRequest = Request & { operator?: OperatorPrincipal; auditAction?: string };

/** A call refused before or by its handler, as the service's audit log records it. */
export interface RefusedCall {
  readonly request: AuditedRequest;
  /** The action named by `@AuditAction`, else `<METHOD> <route>`. */
  readonly action: string;
  readonly status: number;
  readonly reason: string;
  /** The subject a refused token claims when none was verified (recorded as a claim, never trusted). */
  readonly claimedSubject: string | null;
}

/** How a service keeps refused calls: which ones, and where. */
export interface RefusedCallAudit {
  audits(status: number): boolean;
  record(call: RefusedCall): Promise<void>;
}

export const REFUSED_CALL_AUDIT = Symbol('REFUSED_CALL_AUDIT');

/** Only the refusals of the operator authentication itself: no, a bad or another carrier's token, a missing role. */
export const authenticationRefusals = (status: number) => status === 401 || status === 403;

/** Names the audited action of an endpoint (also for calls refused before the handler runs). */
export const AuditAction = (action: string) => SetMetadata(ACTION_KEY, action);

/**
 * Runs first (controller-level guard, before the role guard of each route): remembers which action the request is,
 * so a refusal by the role guard, the input check, the body validation or the handler is audited under that name.
 */
@Injectable()
export class AuditContextGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(ctx: ExecutionContext): boolean {
    const req = ctx.switchToHttp().getRequest<AuditedRequest>();
    req.auditAction = this.reflector.get<string>(ACTION_KEY, ctx.getHandler()) ?? routeOf(req);
    return true;
  }
}

/** Records the refused calls the service's `RefusedCallAudit` keeps, then answers with the shared error body. */
@Catch()
@Injectable()
export class RefusedCallAuditFilter implements ExceptionFilter {
  private readonly log = createLogger('refused-call-audit');
  private readonly inner = new HttpErrorFilter();

  constructor(@Inject(REFUSED_CALL_AUDIT) private readonly audit: RefusedCallAudit) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const { status, body } = httpErrorBody(exception);
    if (!this.audit.audits(status)) return this.inner.catch(exception, host);
    const request = host.switchToHttp().getRequest<AuditedRequest>();
    const call: RefusedCall = {
      request,
      action: request.auditAction ?? routeOf(request),
      status,
      reason: String(body['reason'] ?? `HTTP_${status}`),
      claimedSubject: request.operator ? null : claimedSubject(request),
    };
    this.audit
      .record(call)
      .catch((err) => this.log.error({ err, action: call.action, status }, 'could not audit a refused call'))
      .finally(() => this.inner.catch(exception, host));
  }
}

const routeOf = (req: Request) => `${req.method} ${(req.route as { path?: string } | undefined)?.path ?? req.path}`;

function claimedSubject(req: Request): string | null {
  const payload = (req.header('authorization') ?? '').replace(/^Bearer /, '').split('.')[1] ?? '';
  try {
    const sub = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { sub?: unknown }).sub;
    return typeof sub === 'string' ? sub.slice(0, 128) : null;
  } catch {
    return null;
  }
}
