import { generateKeyPairSync } from 'node:crypto';
import { OperatorTokenVerifier } from '@jpki/crypto';
import { loadConsoleConfig, type ConsoleUser } from './config';
import { Sessions, sessionToken, SESSION_COOKIE } from './sessions';

const pair = generateKeyPairSync('ed25519');
const privateKey = pair.privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64');
const publicKey = pair.publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
const users: ConsoleUser[] = [
  { username: 'olivia', password: 'olivia-password', roles: ['operator'] },
  { username: 'daichi', password: 'daichi-password', roles: ['operator'], carrier: 'docomo' },
  { username: 'audrey', password: 'audrey-password', roles: ['auditor'] },
];
const env = { OPERATOR_TOKEN_PRIVATE_KEY: privateKey, CONSOLE_USERS: JSON.stringify(users) };

describe('console sessions', () => {
  const sessions = new Sessions(loadConsoleConfig(env));

  it('signs in only with the right password of a configured user', () => {
    expect(sessions.authenticate('olivia', 'olivia-password')?.username).toBe('olivia');
    expect(sessions.authenticate('olivia', 'daichi-password')).toBeUndefined();
    expect(sessions.authenticate('nobody', 'olivia-password')).toBeUndefined();
    expect(sessions.authenticate('olivia', '')).toBeUndefined();
  });

  it('issues the role- and carrier-scoped operator token a service verifies with the IdP key (lifecycle as audience)', async () => {
    const token = sessions.issue(users[1]);
    const lifecycle = OperatorTokenVerifier.fromSpki(publicKey, { issuer: 'urn:jpki-sim:operator-idp', audience: 'lifecycle', maxLifetimeSeconds: 12 * 3600, clockToleranceSeconds: 0 });
    expect(await lifecycle.verify(token)).toMatchObject({ sub: 'console:daichi', roles: ['operator'], carrier: 'docomo' });
    // The carriers' MNO-TSMs are among the audiences: each decides by the carrier claim (a docomo token at KDDI's: CARRIER_SCOPE there).
    const kddiTsm = OperatorTokenVerifier.fromSpki(publicKey, { issuer: 'urn:jpki-sim:operator-idp', audience: 'mno-tsm-kddi', maxLifetimeSeconds: 12 * 3600, clockToleranceSeconds: 0 });
    expect(await kddiTsm.verify(token)).toMatchObject({ carrier: 'docomo' });
    const bank = OperatorTokenVerifier.fromSpki(publicKey, { issuer: 'urn:jpki-sim:operator-idp', audience: 'rp-bank', maxLifetimeSeconds: 12 * 3600, clockToleranceSeconds: 0 });
    await expect(bank.verify(token)).rejects.toMatchObject({ reason: 'TOKEN_AUDIENCE' });
    const principal = await sessions.principal(token);
    expect(sessions.view(principal!)).toMatchObject({ username: 'daichi', roles: ['operator'], carrier: 'docomo' });
  });

  it('refuses tokens it did not issue, and expired ones', async () => {
    const other = generateKeyPairSync('ed25519').privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64');
    const forged = new Sessions(loadConsoleConfig({ ...env, OPERATOR_TOKEN_PRIVATE_KEY: other })).issue(users[0]);
    expect(await sessions.principal(forged)).toBeUndefined();
    expect(await sessions.principal(undefined)).toBeUndefined();
    const expired = sessions.issue(users[0]);
    expect(await sessions.principal(expired)).toBeDefined();
    jest.useFakeTimers({ now: Date.now() + 2 * 3600_000 });
    try {
      expect(await sessions.principal(expired)).toBeUndefined();
    } finally {
      jest.useRealTimers();
    }
  });

  it('reads the session cookie among others', () => {
    expect(sessionToken(`a=1; ${SESSION_COOKIE}=abc.def.ghi; b=2`)).toBe('abc.def.ghi');
    expect(sessionToken('a=1')).toBeUndefined();
    expect(sessionToken(undefined)).toBeUndefined();
  });

  it('refuses a configuration without a signing key, with malformed users or a username twice', () => {
    expect(() => loadConsoleConfig({ CONSOLE_USERS: env.CONSOLE_USERS })).toThrow(/OPERATOR_TOKEN_PRIVATE_KEY/);
    expect(() => loadConsoleConfig({ ...env, CONSOLE_USERS: 'not json' })).toThrow(/not JSON/);
    expect(() => loadConsoleConfig({ ...env, CONSOLE_USERS: JSON.stringify([{ username: 'x', password: 'short', roles: [] }]) })).toThrow(/CONSOLE_USERS/);
    expect(() => loadConsoleConfig({ ...env, CONSOLE_USERS: JSON.stringify([users[0], users[0]]) })).toThrow(/twice/);
    expect(() => loadConsoleConfig({ ...env, CONSOLE_USERS: JSON.stringify([{ ...users[0], carrier: 'rakuten' }]) })).toThrow(/carrier/);
  });
});
