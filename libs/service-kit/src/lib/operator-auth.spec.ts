import { generateKeyPairSync } from 'node:crypto';
import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { CARRIERS } from '@jpki/contracts';
import { issueOperatorToken, OPERATOR_CARRIERS, type OperatorCarrier, type OperatorRole, type OperatorTokenRequest } from '@jpki/crypto';
import { baseConfigSchema, loadConfig } from './config';
import { DomainHttpException } from './http-errors';
import { OperatorAuthGuard } from './operator-auth';

describe('OperatorAuthGuard', () => {
  const pair = generateKeyPairSync('ed25519');
  const pkcs8 = pair.privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64');
  const config = loadConfig(baseConfigSchema, {
    HTTP_PORT: '0',
    DB_SCHEMA: 'unit',
    OPERATOR_TOKEN_PUBLIC_KEY: pair.publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
  });
  const guard = (service: string, carrier: OperatorCarrier | null, roles: OperatorRole[]) =>
    new OperatorAuthGuard({ getAllAndOverride: () => roles } as unknown as Reflector, config, service, carrier);
  const context = (token?: string) =>
    ({
      getHandler: () => undefined,
      getClass: () => undefined,
      switchToHttp: () => ({ getRequest: () => ({ header: () => (token ? `Bearer ${token}` : undefined) }) }),
    }) as unknown as ExecutionContext;
  const token = (req: Partial<OperatorTokenRequest> = {}) => issueOperatorToken(pkcs8, { audience: ['mno-tsm-kddi', 'lifecycle'], sub: 'kei', roles: ['operator'], ...req });
  const outcome = (p: Promise<boolean>) =>
    p.then(
      () => 'allowed',
      (err: DomainHttpException) => `${err.getStatus()} ${err.reason}`,
    );

  it('scopes the carriers as @jpki/contracts names them', () => {
    expect([...OPERATOR_CARRIERS]).toEqual([...CARRIERS]);
  });

  it('on a carrier’s service: that carrier’s operators and the platform integrator only (403 CARRIER_SCOPE)', async () => {
    const kddi = guard('mno-tsm-kddi', 'kddi', ['operator', 'integrator']);
    expect(await outcome(kddi.canActivate(context(token({ carrier: 'kddi' }))))).toBe('allowed');
    expect(await outcome(kddi.canActivate(context(token({ carrier: 'docomo' }))))).toBe('403 CARRIER_SCOPE');
    expect(await outcome(kddi.canActivate(context(token({ roles: ['operator'] }))))).toBe('403 CARRIER_SCOPE');
    expect(await outcome(kddi.canActivate(context(token({ roles: ['integrator'] }))))).toBe('allowed');
    expect(await outcome(guard('mno-tsm-kddi', 'kddi', ['operator']).canActivate(context(token({ carrier: 'kddi', roles: ['auditor'] }))))).toBe('403 ROLE_REQUIRED');
  });

  it('on a platform service: scoped and unscoped tokens alike (the service checks each phone’s carrier)', async () => {
    const lifecycle = guard('lifecycle', null, ['operator']);
    expect(await outcome(lifecycle.canActivate(context(token({ carrier: 'docomo' }))))).toBe('allowed');
    expect(await outcome(lifecycle.canActivate(context(token())))).toBe('allowed');
  });

  it('answers 401 with the precise reason: none, another audience, another issuer, too long, not yet valid', async () => {
    const lifecycle = guard('lifecycle', null, ['operator']);
    expect(await outcome(lifecycle.canActivate(context()))).toBe('401 AUTH_REQUIRED');
    expect(await outcome(lifecycle.canActivate(context('not.a.token')))).toBe('401 AUTH_INVALID');
    expect(await outcome(lifecycle.canActivate(context(token({ audience: ['jpki-ca'] }))))).toBe('401 TOKEN_AUDIENCE');
    expect(await outcome(lifecycle.canActivate(context(token({ issuer: 'https://idp.example.net' }))))).toBe('401 TOKEN_ISSUER');
    expect(await outcome(lifecycle.canActivate(context(token({ ttlSeconds: 13 * 3600 }))))).toBe('401 TOKEN_LIFETIME');
    expect(await outcome(lifecycle.canActivate(context(token({ notBeforeSeconds: 600 }))))).toBe('401 TOKEN_NOT_YET_VALID');
  });
});
