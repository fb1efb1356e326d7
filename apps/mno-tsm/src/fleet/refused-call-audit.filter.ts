import { Catch, HttpException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Request } from 'express';
import { createLogger } from '@jpki/observability';
import { DomainHttpException, HttpErrorFilter, type OperatorPrincipal } from '@jpki/service-kit';
import { FleetService } from './fleet.service';

/** The subject a refused token claims (recorded as a claim, never trusted). */
function claimedSubject(req: Request): string | null {
  const payload = (req.header('authorization') ?? '').replace(/^Bearer /, '').split('.')[1] ?? '';
  try {
    const sub = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { sub?: unknown }).sub;
    return typeof sub === 'string' ? sub.slice(0, 128) : null;
  } catch {
    return null;
  }
}

/**
 * Audits the calls the operator authentication refuses (401, 403: no or a bad token, another carrier's operator, a
 * missing role): the fleet's own refusals are audited with their action already. Then the shared error body.
 */
@Catch()
export class RefusedCallAuditFilter implements ExceptionFilter {
  private readonly log = createLogger('mno-tsm.audit');
  private readonly inner = new HttpErrorFilter();

  constructor(private readonly fleet: FleetService) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const status = exception instanceof HttpException ? exception.getStatus() : 500;
    if (status !== 401 && status !== 403) return this.inner.catch(exception, host);
    const req = host.switchToHttp().getRequest<Request & { operator?: OperatorPrincipal }>();
    const reason = exception instanceof DomainHttpException ? exception.reason : `HTTP_${status}`;
    const actor = req.operator ?? { sub: 'anonymous', roles: [] };
    const details = { method: req.method, path: req.path, ...(req.operator ? { carrier: req.operator.carrier ?? null } : { claimedSubject: claimedSubject(req) }) };
    this.fleet
      .recordRefusedCall(actor, `${req.method} ${req.route?.path ?? req.path}`, Object.values(req.params ?? {}).join('/') || null, reason, details)
      .catch((err) => this.log.error({ err }, 'could not audit a refused call'))
      .finally(() => this.inner.catch(exception, host));
  }
}
