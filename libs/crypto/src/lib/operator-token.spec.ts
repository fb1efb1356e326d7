import { generateKeyPairSync } from 'node:crypto';
import { developmentOperatorToken, issueOperatorToken, OperatorTokenVerifier } from './operator-token';

describe('operator tokens', () => {
  const pair = generateKeyPairSync('ed25519');
  const pkcs8 = pair.privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64');
  const verifier = OperatorTokenVerifier.fromSpki(pair.publicKey.export({ format: 'der', type: 'spki' }).toString('base64'));

  it('verifies the subject and roles of a token it signed', () => {
    expect(verifier.verify(issueOperatorToken(pkcs8, 'alice', ['operator']))).toMatchObject({ sub: 'alice', roles: ['operator'] });
  });

  it('refuses expired, forged and malformed tokens', () => {
    const token = issueOperatorToken(pkcs8, 'bob', ['auditor'], 60);
    expect(() => verifier.verify(token, Math.floor(Date.now() / 1000) + 3600)).toThrow('expired');
    const other = generateKeyPairSync('ed25519').privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64');
    expect(() => verifier.verify(issueOperatorToken(other, 'mallory', ['operator']))).toThrow('bad signature');
    const [h, , s] = token.split('.');
    const elevated = Buffer.from(JSON.stringify({ sub: 'bob', roles: ['operator'], iat: 0, exp: 9e9 })).toString('base64url');
    expect(() => verifier.verify(`${h}.${elevated}.${s}`)).toThrow('bad signature');
    expect(() => verifier.verify('garbage')).toThrow('malformed');
  });

  it('mints a development token only from OPERATOR_TOKEN_PRIVATE_KEY, and only for known roles', () => {
    const env = { OPERATOR_TOKEN_PRIVATE_KEY: pkcs8 };
    expect(verifier.verify(developmentOperatorToken(env, 'carol', 'operator, auditor')!)).toMatchObject({ sub: 'carol', roles: ['operator', 'auditor'] });
    expect(developmentOperatorToken({}, 'carol', 'operator')).toBeUndefined();
    expect(() => developmentOperatorToken(env, 'carol', 'operator,root')).toThrow('roles must be among operator,auditor,integrator');
    expect(() => developmentOperatorToken(env, 'carol', '')).toThrow('roles must be among');
  });
});
