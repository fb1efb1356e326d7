import {
  CanActivate,
  ExecutionContext,
  HttpStatus,
  Inject,
  Injectable,
  SetMetadata,
  applyDecorators,
  createParamDecorator,
  UseGuards,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiBearerAuth } from '@nestjs/swagger';
import type { Request } from 'express';
import { OperatorTokenError, OperatorTokenVerifier, type OperatorCarrier, type OperatorPrincipal, type OperatorRole } from '@jpki/crypto';
import type { BaseConfig } from './config';
import { DomainHttpException } from './http-errors';
import { SERVICE_CARRIER, SERVICE_CONFIG, SERVICE_NAME } from './tokens';

const ROLES_KEY = 'operator-roles';

/**
 * 403 CARRIER_SCOPE unless the operator may act on data of this carrier: a carrier-scoped token only on its own
 * carrier's subscribers and phones (`null`: a phone with no carrier, e.g. an iPhone); an unscoped token is platform
 * staff and acts on every carrier.
 */
export function requireCarrierScope(operator: OperatorPrincipal, carrier: string | null, what: string): void {
  if (operator.carrier && operator.carrier !== carrier) {
    throw new DomainHttpException(HttpStatus.FORBIDDEN, 'CARRIER_SCOPE', `a ${operator.carrier} operator may not act on ${what} (${carrier ?? 'no carrier'})`);
  }
}

/** 403 CARRIER_SCOPE for carrier-scoped tokens: for data that spans every carrier (e.g. a platform-wide audit log). */
export function requirePlatformScope(operator: OperatorPrincipal, what: string): void {
  if (operator.carrier) throw new DomainHttpException(HttpStatus.FORBIDDEN, 'CARRIER_SCOPE', `${what} spans every carrier: a ${operator.carrier} operator may not see it`);
}

/**
 * Verifies the bearer token for this service (its name as audience, the configured issuer and maximum lifetime) and
 * the route's roles. A carrier's own service (`ServiceDefinition.operatorCarrier`) accepts only that carrier's tokens,
 * and of unscoped tokens only the platform `integrator` (the simulation seeds every carrier's fleet).
 * Refusals: 401 AUTH_REQUIRED / AUTH_INVALID / TOKEN_EXPIRED / TOKEN_NOT_YET_VALID / TOKEN_ISSUER / TOKEN_AUDIENCE /
 * TOKEN_LIFETIME, 403 CARRIER_SCOPE / ROLE_REQUIRED (the principal is on the request by then, for auditing).
 */
@Injectable()
export class OperatorAuthGuard implements CanActivate {
  private readonly verifier?: OperatorTokenVerifier;

  constructor(
    private readonly reflector: Reflector,
    @Inject(SERVICE_CONFIG) config: BaseConfig,
    @Inject(SERVICE_NAME) serviceName: string,
    @Inject(SERVICE_CARRIER) private readonly carrier: OperatorCarrier | null,
  ) {
    if (config.OPERATOR_TOKEN_PUBLIC_KEY) {
      this.verifier = OperatorTokenVerifier.fromSpki(config.OPERATOR_TOKEN_PUBLIC_KEY, {
        issuer: config.OPERATOR_TOKEN_ISSUER,
        audience: serviceName,
        maxLifetimeSeconds: config.OPERATOR_TOKEN_MAX_LIFETIME_S,
        clockToleranceSeconds: config.OPERATOR_TOKEN_CLOCK_TOLERANCE_S,
      });
    }
  }

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const allowed = this.reflector.getAllAndOverride<OperatorRole[]>(ROLES_KEY, [ctx.getHandler(), ctx.getClass()]) ?? [];
    const req = ctx.switchToHttp().getRequest<Request & { operator?: OperatorPrincipal }>();
    const header = req.header('authorization') ?? '';
    if (!this.verifier) throw new DomainHttpException(HttpStatus.UNAUTHORIZED, 'AUTH_NOT_CONFIGURED', 'operator authentication is not configured');
    if (!header.startsWith('Bearer ')) throw new DomainHttpException(HttpStatus.UNAUTHORIZED, 'AUTH_REQUIRED', 'a bearer token is required');
    let principal: OperatorPrincipal;
    try {
      principal = await this.verifier.verify(header.slice(7));
    } catch (err) {
      const reason = err instanceof OperatorTokenError ? err.reason : 'AUTH_INVALID';
      throw new DomainHttpException(HttpStatus.UNAUTHORIZED, reason, (err as Error).message);
    }
    req.operator = principal;
    if (this.carrier) {
      if (!principal.carrier && !principal.roles.includes('integrator')) {
        throw new DomainHttpException(HttpStatus.FORBIDDEN, 'CARRIER_SCOPE', `this is ${this.carrier}'s service: a ${this.carrier} operator's token or the platform integrator's is required`);
      }
      requireCarrierScope(principal, this.carrier, `${this.carrier}'s subscribers`);
    }
    if (!principal.roles.some((r) => allowed.includes(r))) {
      throw new DomainHttpException(HttpStatus.FORBIDDEN, 'ROLE_REQUIRED', `one of the roles ${allowed.join(', ')} is required`);
    }
    return true;
  }
}

/** Requires a valid operator token carrying one of the roles. */
export function RequireRoles(...roles: OperatorRole[]): MethodDecorator & ClassDecorator {
  return applyDecorators(SetMetadata(ROLES_KEY, roles), UseGuards(OperatorAuthGuard), ApiBearerAuth());
}

export const Operator = createParamDecorator((_: unknown, ctx: ExecutionContext) => ctx.switchToHttp().getRequest<{ operator?: OperatorPrincipal }>().operator);

export {
  developmentOperatorToken,
  issueOperatorToken,
  LOCAL_OPERATOR_TOKEN_ISSUER,
  OPERATOR_CARRIERS,
  OPERATOR_ROLES,
  type OperatorCarrier,
  type OperatorPrincipal,
  type OperatorRole,
} from '@jpki/crypto';
