import { createPrivateKey, createPublicKey, sign, type KeyObject } from 'node:crypto';
import { errors, jwtVerify, type JWTPayload } from 'jose';

export const OPERATOR_ROLES = ['operator', 'auditor', 'integrator'] as const;
export type OperatorRole = (typeof OPERATOR_ROLES)[number];

/** The carriers a token can be scoped to: `CARRIERS` of `@jpki/contracts` (a util library cannot import it). */
export const OPERATOR_CARRIERS = ['docomo', 'kddi', 'softbank'] as const;
export type OperatorCarrier = (typeof OPERATOR_CARRIERS)[number];

/** The issuer of development and test tokens, and every service's expected issuer unless configured otherwise. */
export const LOCAL_OPERATOR_TOKEN_ISSUER = 'urn:jpki-sim:operator-idp';

export interface OperatorPrincipal {
  iss: string;
  sub: string;
  /** The services the token is valid for. */
  aud: string[];
  roles: OperatorRole[];
  /** The carrier the holder works for (MVNO staff: their host carrier); absent for platform staff. */
  carrier?: OperatorCarrier;
  iat: number;
  nbf: number;
  exp: number;
}

export interface OperatorTokenRequest {
  issuer?: string;
  /** The service names it is valid for, e.g. `['lifecycle']` or `['mno-tsm-docomo']`. */
  audience: readonly string[];
  sub: string;
  roles: OperatorRole[];
  carrier?: OperatorCarrier;
  /** Seconds from issuance to expiry (one hour by default). */
  ttlSeconds?: number;
  /** Seconds from issuance until the token becomes valid (0 by default). */
  notBeforeSeconds?: number;
}

const b64url = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

/**
 * Issues an EdDSA-signed JWT for an operator (the dev CLIs and tests stand in for the IdP; production uses an IdP).
 * Synchronous on purpose: jose only signs asynchronously, and tests and harnesses mint tokens inline. The compact
 * serialization is the standard one; verification is jose's (`OperatorTokenVerifier`).
 */
export function issueOperatorToken(privateKeyPkcs8B64: string, req: OperatorTokenRequest): string {
  const now = Math.floor(Date.now() / 1000);
  const claims = {
    iss: req.issuer ?? LOCAL_OPERATOR_TOKEN_ISSUER,
    sub: req.sub,
    aud: [...req.audience],
    roles: req.roles,
    ...(req.carrier ? { carrier: req.carrier } : {}),
    iat: now,
    nbf: now + (req.notBeforeSeconds ?? 0),
    exp: now + (req.ttlSeconds ?? 3600),
  };
  const signingInput = `${b64url({ alg: 'EdDSA', typ: 'JWT' })}.${b64url(claims)}`;
  const key = createPrivateKey({ key: Buffer.from(privateKeyPkcs8B64, 'base64'), format: 'der', type: 'pkcs8' });
  return `${signingInput}.${sign(null, Buffer.from(signingInput), key).toString('base64url')}`;
}

/** Comma-separated role names, each one of OPERATOR_ROLES. */
export function parseOperatorRoles(list: string): OperatorRole[] {
  const roles = list.split(',').map((r) => r.trim()).filter(Boolean);
  const unknown = roles.filter((r) => !(OPERATOR_ROLES as readonly string[]).includes(r));
  if (unknown.length > 0 || roles.length === 0) throw new Error(`roles must be among ${OPERATOR_ROLES.join(',')}; got "${list}"`);
  return roles as OperatorRole[];
}

/** A carrier name for a token's scope: one of OPERATOR_CARRIERS. */
export function parseOperatorCarrier(name: string): OperatorCarrier {
  if (!(OPERATOR_CARRIERS as readonly string[]).includes(name)) throw new Error(`carrier must be one of ${OPERATOR_CARRIERS.join(',')}; got "${name}"`);
  return name as OperatorCarrier;
}

/**
 * For operator CLIs in development: a short-lived token for the service it calls (`audience`), minted from the IdP key
 * in `OPERATOR_TOKEN_PRIVATE_KEY` with the issuer in `OPERATOR_TOKEN_ISSUER` (or the local one), or undefined when the
 * key is not set (production CLIs are given a token instead).
 */
export function developmentOperatorToken(
  env: NodeJS.ProcessEnv,
  grant: { sub: string; roles: string; audience: readonly string[]; carrier?: string },
  ttlSeconds = 900,
): string | undefined {
  const key = env['OPERATOR_TOKEN_PRIVATE_KEY'];
  if (!key) return undefined;
  return issueOperatorToken(key, {
    issuer: env['OPERATOR_TOKEN_ISSUER'] || undefined,
    audience: grant.audience,
    sub: grant.sub,
    roles: parseOperatorRoles(grant.roles),
    carrier: grant.carrier ? parseOperatorCarrier(grant.carrier) : undefined,
    ttlSeconds,
  });
}

/** Why a token was refused (the 401's reason). */
export type OperatorTokenRefusal = 'AUTH_INVALID' | 'TOKEN_EXPIRED' | 'TOKEN_NOT_YET_VALID' | 'TOKEN_ISSUER' | 'TOKEN_AUDIENCE' | 'TOKEN_LIFETIME';

export class OperatorTokenError extends Error {
  constructor(
    readonly reason: OperatorTokenRefusal,
    message: string,
  ) {
    super(message);
  }
}

/** What a service accepts: its own name as audience, one issuer, a maximum lifetime and a small clock tolerance. */
export interface OperatorTokenPolicy {
  issuer: string;
  /** This service's name. */
  audience: string;
  maxLifetimeSeconds: number;
  clockToleranceSeconds: number;
}

function refusalOf(err: unknown): OperatorTokenError {
  if (err instanceof OperatorTokenError) return err;
  if (err instanceof errors.JWTExpired) {
    // jose's maxTokenAge: issued longer ago than the maximum lifetime allows.
    return err.claim === 'iat' ? new OperatorTokenError('TOKEN_LIFETIME', err.message) : new OperatorTokenError('TOKEN_EXPIRED', err.message);
  }
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'iss') return new OperatorTokenError('TOKEN_ISSUER', err.message);
    if (err.claim === 'aud') return new OperatorTokenError('TOKEN_AUDIENCE', err.message);
    if ((err.claim === 'nbf' || err.claim === 'iat') && err.reason === 'check_failed') return new OperatorTokenError('TOKEN_NOT_YET_VALID', err.message);
    return new OperatorTokenError('AUTH_INVALID', err.message);
  }
  if (err instanceof errors.JOSEError) return new OperatorTokenError('AUTH_INVALID', err.message);
  return new OperatorTokenError('AUTH_INVALID', err instanceof Error ? err.message : 'malformed token');
}

function principalOf(p: JWTPayload): OperatorPrincipal {
  const roles = p['roles'];
  const carrier = p['carrier'];
  const valid =
    typeof p.iss === 'string' &&
    typeof p.sub === 'string' &&
    p.sub.length > 0 &&
    p.sub.length <= 128 &&
    Array.isArray(roles) &&
    roles.length > 0 &&
    roles.every((r) => (OPERATOR_ROLES as readonly unknown[]).includes(r)) &&
    (carrier === undefined || (OPERATOR_CARRIERS as readonly unknown[]).includes(carrier)) &&
    Number.isInteger(p.iat) &&
    Number.isInteger(p.nbf) &&
    Number.isInteger(p.exp);
  if (!valid) throw new OperatorTokenError('AUTH_INVALID', 'malformed claims (sub, roles, carrier, iat, nbf, exp)');
  return {
    iss: p.iss as string,
    sub: p.sub as string,
    aud: typeof p.aud === 'string' ? [p.aud] : (p.aud as string[]),
    roles: roles as OperatorRole[],
    ...(carrier === undefined ? {} : { carrier: carrier as OperatorCarrier }),
    iat: p.iat as number,
    nbf: p.nbf as number,
    exp: p.exp as number,
  };
}

/** Verifies operator tokens with jose: EdDSA only, then issuer, audience, nbf/iat/exp and the maximum lifetime. */
export class OperatorTokenVerifier {
  constructor(
    private readonly key: KeyObject,
    private readonly policy: OperatorTokenPolicy,
  ) {}

  static fromSpki(b64: string, policy: OperatorTokenPolicy): OperatorTokenVerifier {
    return new OperatorTokenVerifier(createPublicKey({ key: Buffer.from(b64, 'base64'), format: 'der', type: 'spki' }), policy);
  }

  /** The principal, or an `OperatorTokenError` naming why the token is refused. */
  async verify(token: string, nowSeconds = Math.floor(Date.now() / 1000)): Promise<OperatorPrincipal> {
    const { issuer, audience, maxLifetimeSeconds, clockToleranceSeconds } = this.policy;
    try {
      const { payload } = await jwtVerify(token, this.key, {
        algorithms: ['EdDSA'],
        issuer,
        audience,
        requiredClaims: ['sub', 'iat', 'nbf', 'exp'],
        maxTokenAge: maxLifetimeSeconds,
        clockTolerance: clockToleranceSeconds,
        currentDate: new Date(nowSeconds * 1000),
      });
      const principal = principalOf(payload);
      if (principal.exp - Math.min(principal.iat, principal.nbf) > maxLifetimeSeconds) {
        throw new OperatorTokenError('TOKEN_LIFETIME', `the token lives ${principal.exp - Math.min(principal.iat, principal.nbf)} s; at most ${maxLifetimeSeconds} s are accepted`);
      }
      return principal;
    } catch (err) {
      throw refusalOf(err);
    }
  }
}
