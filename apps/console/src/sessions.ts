import { createHash, createPrivateKey, createPublicKey, timingSafeEqual } from 'node:crypto';
import { issueOperatorToken, OperatorTokenVerifier, type OperatorPrincipal } from '@jpki/crypto';
import type { ConsoleConfig, ConsoleUser } from './config';

/** The services a console session's token is valid for (its audience), besides the console itself. */
export const CONSOLE_AUDIENCE = ['console', 'lifecycle', 'jpki-ca', 'sp-tsm', 'vsim', 'mno-tsm-docomo', 'mno-tsm-kddi', 'mno-tsm-softbank'] as const;
export const SESSION_COOKIE = 'jpki_console';

export interface SessionView {
  username: string;
  displayName: string;
  roles: string[];
  carrier: string | null;
  expiresAt: string;
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/**
 * Sign-in for the simulation's console users: a password check, then an operator token (EdDSA JWT from the IdP key)
 * carrying the user's roles and carrier scope, which every service verifies itself. The console holds no other
 * authority: what a user may do is what the services accept from that token.
 */
export class Sessions {
  private readonly verifier: OperatorTokenVerifier;

  constructor(private readonly config: Pick<ConsoleConfig, 'OPERATOR_TOKEN_PRIVATE_KEY' | 'OPERATOR_TOKEN_ISSUER' | 'CONSOLE_SESSION_TTL_S' | 'CONSOLE_USERS'>) {
    const key = createPrivateKey({ key: Buffer.from(config.OPERATOR_TOKEN_PRIVATE_KEY, 'base64'), format: 'der', type: 'pkcs8' });
    const spki = createPublicKey(key).export({ format: 'der', type: 'spki' }).toString('base64');
    this.verifier = OperatorTokenVerifier.fromSpki(spki, {
      issuer: config.OPERATOR_TOKEN_ISSUER,
      audience: 'console',
      maxLifetimeSeconds: config.CONSOLE_SESSION_TTL_S,
      clockToleranceSeconds: 5,
    });
  }

  /** The user whose password this is, or undefined (same work for an unknown user as for a wrong password). */
  authenticate(username: string, password: string): ConsoleUser | undefined {
    const given = digest(password);
    let found: ConsoleUser | undefined;
    for (const user of this.config.CONSOLE_USERS) {
      const ok = timingSafeEqual(digest(user.password), given);
      if (ok && user.username === username) found = user;
    }
    return found;
  }

  issue(user: ConsoleUser): string {
    return issueOperatorToken(this.config.OPERATOR_TOKEN_PRIVATE_KEY, {
      issuer: this.config.OPERATOR_TOKEN_ISSUER,
      audience: CONSOLE_AUDIENCE,
      sub: `console:${user.username}`,
      roles: user.roles,
      carrier: user.carrier,
      ttlSeconds: this.config.CONSOLE_SESSION_TTL_S,
    });
  }

  /** The principal of a session token, or undefined when it is missing, forged or expired. */
  async principal(token: string | undefined): Promise<OperatorPrincipal | undefined> {
    if (!token) return undefined;
    return this.verifier.verify(token).catch(() => undefined);
  }

  view(principal: OperatorPrincipal): SessionView {
    const username = principal.sub.replace(/^console:/, '');
    const user = this.config.CONSOLE_USERS.find((u) => u.username === username);
    return {
      username,
      displayName: user?.displayName ?? username,
      roles: principal.roles,
      carrier: principal.carrier ?? null,
      expiresAt: new Date(principal.exp * 1000).toISOString(),
    };
  }
}

/** The session token from the request's Cookie header. */
export function sessionToken(cookieHeader: string | undefined): string | undefined {
  for (const part of (cookieHeader ?? '').split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name === SESSION_COOKIE) return rest.join('=') || undefined;
  }
  return undefined;
}
