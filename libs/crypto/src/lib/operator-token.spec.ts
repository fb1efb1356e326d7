import { generateKeyPairSync, sign } from 'node:crypto';
import { SignJWT } from 'jose';
import {
  developmentOperatorToken,
  issueOperatorToken,
  LOCAL_OPERATOR_TOKEN_ISSUER,
  OperatorTokenVerifier,
  type OperatorTokenPolicy,
  type OperatorTokenRequest,
} from './operator-token';

describe('operator tokens', () => {
  const pair = generateKeyPairSync('ed25519');
  const pkcs8 = pair.privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64');
  const spki = pair.publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
  const policy: OperatorTokenPolicy = { issuer: LOCAL_OPERATOR_TOKEN_ISSUER, audience: 'lifecycle', maxLifetimeSeconds: 12 * 3600, clockToleranceSeconds: 30 };
  const verifier = OperatorTokenVerifier.fromSpki(spki, policy);
  const now = () => Math.floor(Date.now() / 1000);
  const token = (req: Partial<OperatorTokenRequest> = {}) => issueOperatorToken(pkcs8, { audience: ['lifecycle'], sub: 'alice', roles: ['operator'], ...req });
  const refusal = (p: Promise<unknown>) => p.then(
    () => 'accepted',
    (err: { reason?: string }) => err.reason,
  );
  /** Signs any header and claims with the IdP key (what a buggy or compromised issuer could produce). */
  const signed = (header: Record<string, unknown>, claims: Record<string, unknown>) => {
    const input = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
    return `${input}.${sign(null, Buffer.from(input), pair.privateKey).toString('base64url')}`;
  };
  const claims = (over: Record<string, unknown> = {}) => ({ iss: LOCAL_OPERATOR_TOKEN_ISSUER, aud: ['lifecycle'], sub: 'eve', roles: ['operator'], iat: now(), nbf: now(), exp: now() + 600, ...over });

  it('verifies issuer, audience, subject, roles, carrier and times of a token it signed', async () => {
    const principal = await verifier.verify(token({ audience: ['jpki-ca', 'lifecycle'], carrier: 'kddi' }));
    expect(principal).toMatchObject({ iss: LOCAL_OPERATOR_TOKEN_ISSUER, sub: 'alice', aud: ['jpki-ca', 'lifecycle'], roles: ['operator'], carrier: 'kddi' });
    expect(principal.exp - principal.iat).toBe(3600);
    expect(principal.nbf).toBe(principal.iat);
    expect((await verifier.verify(token())).carrier).toBeUndefined();
  });

  it('reads a token jose itself minted (the compact serialization is the standard one)', async () => {
    const jwt = await new SignJWT({ roles: ['auditor'] })
      .setProtectedHeader({ alg: 'EdDSA', typ: 'JWT' })
      .setIssuer(LOCAL_OPERATOR_TOKEN_ISSUER)
      .setAudience('lifecycle')
      .setSubject('bob')
      .setIssuedAt()
      .setNotBefore('0s')
      .setExpirationTime('10m')
      .sign(pair.privateKey);
    expect(await verifier.verify(jwt)).toMatchObject({ sub: 'bob', aud: ['lifecycle'], roles: ['auditor'] });
  });

  it('refuses a token minted for another service (TOKEN_AUDIENCE), also when the audience is missing', async () => {
    expect(await refusal(verifier.verify(token({ audience: ['jpki-ca'] })))).toBe('TOKEN_AUDIENCE');
    expect(await refusal(OperatorTokenVerifier.fromSpki(spki, { ...policy, audience: 'mno-tsm-kddi' }).verify(token({ audience: ['mno-tsm-docomo', 'lifecycle'] })))).toBe('TOKEN_AUDIENCE');
    const { aud: _aud, ...withoutAudience } = claims();
    expect(await refusal(verifier.verify(signed({ alg: 'EdDSA' }, withoutAudience)))).toBe('TOKEN_AUDIENCE');
  });

  it('refuses another issuer (TOKEN_ISSUER)', async () => {
    expect(await refusal(verifier.verify(token({ issuer: 'https://idp.example.net' })))).toBe('TOKEN_ISSUER');
  });

  it('refuses an expired token (TOKEN_EXPIRED), within the clock tolerance still accepts it', async () => {
    const t = token({ ttlSeconds: 60 });
    expect(await refusal(verifier.verify(t, now() + 3600))).toBe('TOKEN_EXPIRED');
    expect(await refusal(verifier.verify(t, now() + 60 + 20))).toBe('accepted');
  });

  it('refuses a token not valid yet: nbf or iat in the future beyond the tolerance (TOKEN_NOT_YET_VALID)', async () => {
    expect(await refusal(verifier.verify(token({ notBeforeSeconds: 3600 })))).toBe('TOKEN_NOT_YET_VALID');
    expect(await refusal(verifier.verify(signed({ alg: 'EdDSA' }, claims({ iat: now() + 600, exp: now() + 1200 }))))).toBe('TOKEN_NOT_YET_VALID');
    expect(await refusal(verifier.verify(token({ notBeforeSeconds: 20 })))).toBe('accepted');
  });

  it('refuses a lifetime over the maximum (TOKEN_LIFETIME), including a backdated issuance', async () => {
    expect(await refusal(verifier.verify(token({ ttlSeconds: 12 * 3600 + 1 })))).toBe('TOKEN_LIFETIME');
    expect(await refusal(verifier.verify(token({ ttlSeconds: 12 * 3600 })))).toBe('accepted');
    expect(await refusal(verifier.verify(signed({ alg: 'EdDSA' }, claims({ iat: now() - 13 * 3600, nbf: now() - 13 * 3600 }))))).toBe('TOKEN_LIFETIME');
    expect(await refusal(verifier.verify(signed({ alg: 'EdDSA' }, claims({ nbf: now() - 13 * 3600 }))))).toBe('TOKEN_LIFETIME');
  });

  it('refuses alg none, other algorithms, forged signatures and malformed tokens (AUTH_INVALID)', async () => {
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    expect(await refusal(verifier.verify(`${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims())}.`))).toBe('AUTH_INVALID');
    expect(await refusal(verifier.verify(signed({ alg: 'HS256', typ: 'JWT' }, claims())))).toBe('AUTH_INVALID');
    const other = generateKeyPairSync('ed25519').privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64');
    expect(await refusal(verifier.verify(issueOperatorToken(other, { audience: ['lifecycle'], sub: 'mallory', roles: ['operator'] })))).toBe('AUTH_INVALID');
    const [h, , s] = token({ roles: ['auditor'] }).split('.');
    expect(await refusal(verifier.verify(`${h}.${b64(claims({ roles: ['integrator'] }))}.${s}`))).toBe('AUTH_INVALID');
    expect(await refusal(verifier.verify('garbage'))).toBe('AUTH_INVALID');
  });

  it('refuses signed tokens whose claims are not an operator’s (unknown role or carrier, missing nbf) with AUTH_INVALID', async () => {
    expect(await refusal(verifier.verify(signed({ alg: 'EdDSA' }, claims({ roles: ['root'] }))))).toBe('AUTH_INVALID');
    expect(await refusal(verifier.verify(signed({ alg: 'EdDSA' }, claims({ carrier: 'rakuten' }))))).toBe('AUTH_INVALID');
    const { nbf: _nbf, ...withoutNbf } = claims();
    expect(await refusal(verifier.verify(signed({ alg: 'EdDSA' }, withoutNbf)))).toBe('AUTH_INVALID');
  });

  it('mints a development token only from OPERATOR_TOKEN_PRIVATE_KEY, for the service named, and only for known roles and carriers', async () => {
    const env = { OPERATOR_TOKEN_PRIVATE_KEY: pkcs8 };
    const dev = developmentOperatorToken(env, { sub: 'carol', roles: 'operator, auditor', audience: ['lifecycle'], carrier: 'docomo' });
    expect(await verifier.verify(dev!)).toMatchObject({ sub: 'carol', roles: ['operator', 'auditor'], carrier: 'docomo', aud: ['lifecycle'] });
    const elsewhere = developmentOperatorToken({ ...env, OPERATOR_TOKEN_ISSUER: 'https://idp.example.org' }, { sub: 'carol', roles: 'operator', audience: ['lifecycle'] });
    expect(await refusal(verifier.verify(elsewhere!))).toBe('TOKEN_ISSUER');
    expect(developmentOperatorToken({}, { sub: 'carol', roles: 'operator', audience: ['lifecycle'] })).toBeUndefined();
    expect(() => developmentOperatorToken(env, { sub: 'carol', roles: 'operator,root', audience: ['lifecycle'] })).toThrow('roles must be among operator,auditor,integrator');
    expect(() => developmentOperatorToken(env, { sub: 'carol', roles: '', audience: ['lifecycle'] })).toThrow('roles must be among');
    expect(() => developmentOperatorToken(env, { sub: 'carol', roles: 'operator', audience: ['lifecycle'], carrier: 'rakuten' })).toThrow('carrier must be one of docomo,kddi,softbank');
  });
});
