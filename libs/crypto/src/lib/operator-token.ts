import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';

export const OPERATOR_ROLES = ['operator', 'auditor', 'integrator'] as const;
export type OperatorRole = (typeof OPERATOR_ROLES)[number];

export interface OperatorPrincipal {
  sub: string;
  roles: OperatorRole[];
  iat: number;
  exp: number;
}

const b64url = (b: Buffer) => b.toString('base64url');
const HEADER = b64url(Buffer.from(JSON.stringify({ alg: 'EdDSA', typ: 'JWT' })));

/** Issues an EdDSA-signed JWT for an operator (the dev CLI and tests use it; production uses an IdP). */
export function issueOperatorToken(privateKeyPkcs8B64: string, sub: string, roles: OperatorRole[], ttlSeconds = 3600): string {
  const now = Math.floor(Date.now() / 1000);
  const payload = b64url(Buffer.from(JSON.stringify({ sub, roles, iat: now, exp: now + ttlSeconds })));
  const key = createPrivateKey({ key: Buffer.from(privateKeyPkcs8B64, 'base64'), format: 'der', type: 'pkcs8' });
  return `${HEADER}.${payload}.${b64url(sign(null, Buffer.from(`${HEADER}.${payload}`), key))}`;
}

/** Comma-separated role names, each one of OPERATOR_ROLES. */
export function parseOperatorRoles(list: string): OperatorRole[] {
  const roles = list.split(',').map((r) => r.trim()).filter(Boolean);
  const unknown = roles.filter((r) => !(OPERATOR_ROLES as readonly string[]).includes(r));
  if (unknown.length > 0 || roles.length === 0) throw new Error(`roles must be among ${OPERATOR_ROLES.join(',')}; got "${list}"`);
  return roles as OperatorRole[];
}

/**
 * For operator CLIs in development: a short-lived token minted from the IdP key in `OPERATOR_TOKEN_PRIVATE_KEY`,
 * or undefined when that key is not set (production CLIs are given a token instead).
 */
export function developmentOperatorToken(env: NodeJS.ProcessEnv, sub: string, roles: string, ttlSeconds = 900): string | undefined {
  const key = env['OPERATOR_TOKEN_PRIVATE_KEY'];
  return key ? issueOperatorToken(key, sub, parseOperatorRoles(roles), ttlSeconds) : undefined;
}

function isPrincipal(v: unknown): v is OperatorPrincipal {
  const p = v as Partial<OperatorPrincipal>;
  return (
    typeof p?.sub === 'string' &&
    p.sub.length > 0 &&
    p.sub.length <= 128 &&
    Array.isArray(p.roles) &&
    p.roles.length > 0 &&
    p.roles.every((r) => (OPERATOR_ROLES as readonly string[]).includes(r)) &&
    Number.isInteger(p.iat) &&
    Number.isInteger(p.exp)
  );
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
    const claims: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    if (!isPrincipal(claims)) throw new Error('malformed claims');
    if (claims.exp < nowSeconds) throw new Error('token expired');
    return claims;
  }
}
