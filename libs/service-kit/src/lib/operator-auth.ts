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
import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import type { Request } from 'express';
import { z } from 'zod/v4';
import type { BaseConfig } from './config';
import { DomainHttpException } from './http-errors';
import { SERVICE_CONFIG } from './tokens';

export const OPERATOR_ROLES = ['operator', 'auditor', 'integrator'] as const;
export type OperatorRole = (typeof OPERATOR_ROLES)[number];

const claimsSchema = z.object({
  sub: z.string().min(1).max(128),
  roles: z.array(z.enum(OPERATOR_ROLES)).min(1),
  iat: z.number().int(),
  exp: z.number().int(),
});
export type OperatorPrincipal = z.infer<typeof claimsSchema>;

const b64url = (b: Buffer) => b.toString('base64url');
const HEADER = b64url(Buffer.from(JSON.stringify({ alg: 'EdDSA', typ: 'JWT' })));

/** Issues an EdDSA-signed JWT for an operator (the dev CLI and tests use it; production uses an IdP). */
export function issueOperatorToken(privateKeyPkcs8B64: string, sub: string, roles: OperatorRole[], ttlSeconds = 3600): string {
  const now = Math.floor(Date.now() / 1000);
  const payload = b64url(Buffer.from(JSON.stringify({ sub, roles, iat: now, exp: now + ttlSeconds })));
  const key = createPrivateKey({ key: Buffer.from(privateKeyPkcs8B64, 'base64'), format: 'der', type: 'pkcs8' });
  return `${HEADER}.${payload}.${b64url(sign(null, Buffer.from(`${HEADER}.${payload}`), key))}`;
}

export class OperatorTokenVerifier {
  constructor(private readonly key: KeyObject) {}

  static fromSpki(b64: string): OperatorTokenVerifier {
    return new OperatorTokenVerifier(createPublicKey({ key: Buffer.from(b64, 'base64'), format: 'der', type: 'spki' }));
  }

  verify(token: string, nowSeconds = Math.floor(Date.now() / 1000)): OperatorPrincipal {
    const parts = token.split('.');
    if (parts.length !== 3 || parts[0] !== HEADER) throw new Error('malformed token');
    if (!verify(null, Buffer.from(`${parts[0]}.${parts[1]}`), this.key, Buffer.from(parts[2], 'base64url'))) throw new Error('bad signature');
    const claims = claimsSchema.parse(JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')));
    if (claims.exp < nowSeconds) throw new Error('token expired');
    return claims;
  }
}

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
