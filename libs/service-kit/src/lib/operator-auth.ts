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
import { OperatorTokenVerifier, type OperatorPrincipal, type OperatorRole } from '@jpki/crypto';
import type { BaseConfig } from './config';
import { DomainHttpException } from './http-errors';
import { SERVICE_CONFIG } from './tokens';

const ROLES_KEY = 'operator-roles';

@Injectable()
export class OperatorAuthGuard implements CanActivate {
  private readonly verifier?: OperatorTokenVerifier;

  constructor(
    private readonly reflector: Reflector,
    @Inject(SERVICE_CONFIG) config: BaseConfig & { OPERATOR_TOKEN_PUBLIC_KEY?: string },
  ) {
    if (config.OPERATOR_TOKEN_PUBLIC_KEY) this.verifier = OperatorTokenVerifier.fromSpki(config.OPERATOR_TOKEN_PUBLIC_KEY);
  }

  canActivate(ctx: ExecutionContext): boolean {
    const allowed = this.reflector.getAllAndOverride<OperatorRole[]>(ROLES_KEY, [ctx.getHandler(), ctx.getClass()]) ?? [];
    const req = ctx.switchToHttp().getRequest<Request & { operator?: OperatorPrincipal }>();
    const header = req.header('authorization') ?? '';
    if (!this.verifier) throw new DomainHttpException(HttpStatus.UNAUTHORIZED, 'AUTH_NOT_CONFIGURED', 'operator authentication is not configured');
    if (!header.startsWith('Bearer ')) throw new DomainHttpException(HttpStatus.UNAUTHORIZED, 'AUTH_REQUIRED', 'a bearer token is required');
    let principal: OperatorPrincipal;
    try {
      principal = this.verifier.verify(header.slice(7));
    } catch (err) {
      throw new DomainHttpException(HttpStatus.UNAUTHORIZED, 'AUTH_INVALID', (err as Error).message);
    }
    req.operator = principal;
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

export { developmentOperatorToken, OPERATOR_ROLES, issueOperatorToken, type OperatorPrincipal, type OperatorRole } from '@jpki/crypto';
