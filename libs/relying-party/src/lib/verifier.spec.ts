import { randomBytes, sign } from 'node:crypto';
import { buildOcspRequest } from '@jpki/pki';
import { TestPki } from '../test/pki-fixture';
import { buildCrlSnapshot, synchroniseCrl, type CrlSnapshot } from './crl-snapshot';
import { httpStatusOf, StatusUnavailableError } from './refusals';
import { CrlStatusSource, FallbackStatusSource, OcspStatusSource, type StatusSource } from './status-sources';
import { checkHolderCertificate, checkTrust, verifyHolder, type StatusCheck } from './verifier';
import { OnlineHolderVerifier, type CaDirectory } from './online-verifier';

describe('relying-party verification', () => {
  let pki: TestPki;
  let rootSnapshot: CrlSnapshot;
  let ocsp: OcspStatusSource;

  beforeAll(async () => {
    pki = await TestPki.create();
    rootSnapshot = buildCrlSnapshot({ issuerCertificate: pki.root.certificate, complete: await pki.rootCrl(), fetchedAt: pki.now });
  });

  beforeEach(() => {
    pki.statuses.clear();
    ocsp = new OcspStatusSource((der) => pki.ocsp(der));
  });

  const check = (holderStatus: StatusSource = ocsp, at = pki.now): StatusCheck => ({
    trust: pki.trust,
    holderStatus,
    caStatus: new CrlStatusSource(() => rootSnapshot, Number.MAX_SAFE_INTEGER),
    at,
  });

  it.each(['rsa', 'ec'] as const)('accepts a %s holder: signature, chain, OCSP good', async (keyType) => {
    const holder = await pki.holder(keyType);
    const challenge = randomBytes(32);
    const result = await verifyHolder({ ...check(), challenge, signature: holder.sign(challenge), certificate: holder.certificate });
    expect(result).toMatchObject({ ok: true, holder: { serial: holder.serial, keyType }, status: { source: 'ocsp' } });
  });

  it('accepts a raw (IEEE P1363) ECDSA signature', async () => {
    const holder = await pki.holder('ec');
    const challenge = randomBytes(32);
    const raw = sign('sha256', challenge, { key: holder.privateKey, dsaEncoding: 'ieee-p1363' });
    expect(raw).toHaveLength(64);
    expect(await verifyHolder({ ...check(), challenge, signature: raw, certificate: holder.certificate })).toMatchObject({ ok: true });
  });

  it('refuses a signature over another challenge (SIGNATURE_INVALID, 401)', async () => {
    const holder = await pki.holder();
    const result = await verifyHolder({ ...check(), challenge: randomBytes(32), signature: holder.sign(randomBytes(32)), certificate: holder.certificate });
    expect(result).toMatchObject({ ok: false, reason: 'SIGNATURE_INVALID', serial: holder.serial });
    expect(httpStatusOf('SIGNATURE_INVALID')).toBe(401);
  });

  it('refuses a certificate from another hierarchy (CHAIN_UNTRUSTED)', async () => {
    const other = await TestPki.create();
    const holder = await other.holder();
    const challenge = randomBytes(32);
    const result = await verifyHolder({ ...check(), challenge, signature: holder.sign(challenge), certificate: holder.certificate });
    expect(result).toMatchObject({ ok: false, reason: 'CHAIN_UNTRUSTED', validationReason: 'CHAIN_UNTRUSTED' });
  });

  it('refuses garbage as CERTIFICATE_MALFORMED', async () => {
    expect(await verifyHolder({ ...check(), challenge: randomBytes(32), signature: randomBytes(256), certificate: randomBytes(100) })).toMatchObject({
      ok: false,
      reason: 'CERTIFICATE_MALFORMED',
    });
  });

  it('refuses an expired certificate', async () => {
    const holder = await pki.holder('rsa');
    const challenge = randomBytes(32);
    const later = new Date(pki.now.getTime() + 2000 * 86_400_000);
    const result = await verifyHolder({ ...check(ocsp, later), challenge, signature: holder.sign(challenge), certificate: holder.certificate });
    expect(result).toMatchObject({ ok: false, reason: 'CERTIFICATE_EXPIRED' });
  });

  it('refuses a held certificate (CERTIFICATE_ON_HOLD, 403) and a revoked one with its RFC 5280 reason', async () => {
    const held = await pki.holder();
    const revoked = await pki.holder('ec');
    pki.hold(held.serial);
    pki.revoke(revoked.serial, 'keyCompromise');
    const challenge = randomBytes(32);
    expect(await verifyHolder({ ...check(), challenge, signature: held.sign(challenge), certificate: held.certificate })).toMatchObject({
      ok: false,
      reason: 'CERTIFICATE_ON_HOLD',
      revocationReason: 'certificateHold',
      revocationReasonCode: 6,
      statusSource: 'ocsp',
    });
    expect(await verifyHolder({ ...check(), challenge, signature: revoked.sign(challenge), certificate: revoked.certificate })).toMatchObject({
      ok: false,
      reason: 'CERTIFICATE_REVOKED',
      revocationReason: 'keyCompromise',
      revocationReasonCode: 1,
    });
    expect(httpStatusOf('CERTIFICATE_ON_HOLD')).toBe(403);
  });

  it('fails closed when OCSP is unreachable or answers with a wrong nonce', async () => {
    const holder = await pki.holder();
    const challenge = randomBytes(32);
    const request = { challenge, signature: holder.sign(challenge), certificate: holder.certificate };
    const down = new OcspStatusSource(() => Promise.reject(new Error('ECONNREFUSED')));
    expect(await verifyHolder({ ...check(down), ...request })).toMatchObject({ ok: false, reason: 'STATUS_UNAVAILABLE', detail: expect.stringContaining('ECONNREFUSED') });
    // A replayed OCSP response (for another request) does not carry this request's nonce.
    const stale = await pki.ocsp(buildOcspRequest({ certificate: holder.certificate, issuerCertificate: pki.userAuthentication.certificate }).der);
    const replayed = new OcspStatusSource(async () => stale);
    expect(await verifyHolder({ ...check(replayed), ...request })).toMatchObject({ ok: false, reason: 'STATUS_UNAVAILABLE', detail: expect.stringContaining('NONCE') });
  });

  describe('cached CRL (offline gate)', () => {
    it('answers from a fresh CRL, refuses holds on it, and merges a delta that releases the hold', async () => {
      const holder = await pki.holder();
      pki.hold(holder.serial);
      const complete = await pki.completeCrl();
      let snapshot = buildCrlSnapshot({ issuerCertificate: pki.userAuthentication.certificate, complete, fetchedAt: pki.now });
      const offline = new CrlStatusSource(() => snapshot, 600_000);
      expect(await checkHolderCertificate(holder.certificate, check(offline))).toMatchObject({ ok: false, reason: 'CERTIFICATE_ON_HOLD', statusSource: 'crl' });

      const delta = await pki.deltaCrl(snapshot.complete.crlNumber!, [{ serialNumber: holder.serial, revocationDate: pki.now, reason: 'removeFromCRL' }]);
      snapshot = buildCrlSnapshot({ issuerCertificate: pki.userAuthentication.certificate, complete, delta, fetchedAt: pki.now });
      expect(snapshot.crlNumber).toBe(snapshot.delta!.crlNumber);
      expect(await checkHolderCertificate(holder.certificate, check(offline))).toMatchObject({ ok: true, status: { source: 'crl', crlNumber: snapshot.crlNumber } });
    });

    it('refuses with CRL_STALE past the maximum age or nextUpdate, CRL_UNAVAILABLE without a CRL', async () => {
      const holder = await pki.holder();
      const snapshot = buildCrlSnapshot({ issuerCertificate: pki.userAuthentication.certificate, complete: await pki.completeCrl(), fetchedAt: pki.now });
      const tenMinutesLater = new Date(pki.now.getTime() + 601_000);
      expect(await checkHolderCertificate(holder.certificate, check(new CrlStatusSource(() => snapshot, 600_000), tenMinutesLater))).toMatchObject({
        ok: false,
        reason: 'CRL_STALE',
        detail: expect.stringMatching(/synchronised 601 s ago \(limit 600 s\)/),
      });
      const twoDaysLater = new Date(pki.now.getTime() + 2 * 86_400_000);
      const pastNextUpdate = await checkHolderCertificate(holder.certificate, check(new CrlStatusSource(() => ({ ...snapshot, fetchedAt: twoDaysLater }), 600_000), twoDaysLater));
      expect(pastNextUpdate).toMatchObject({ ok: false, reason: 'CRL_STALE', detail: expect.stringContaining('nextUpdate') });
      expect(await checkHolderCertificate(holder.certificate, check(new CrlStatusSource(() => undefined, 600_000)))).toMatchObject({ ok: false, reason: 'CRL_UNAVAILABLE' });
    });

    it('rejects a CRL not signed by the issuing CA', async () => {
      const other = await TestPki.create();
      expect(() => buildCrlSnapshot({ issuerCertificate: pki.userAuthentication.certificate, complete: Buffer.from(''), fetchedAt: pki.now })).toThrow(/CRL/);
      const foreign = await other.completeCrl();
      expect(() => buildCrlSnapshot({ issuerCertificate: pki.userAuthentication.certificate, complete: foreign, fetchedAt: pki.now })).toThrow(/signature or issuer/);
    });

    it('synchronises with the delta alone when it applies, the complete CRL otherwise', async () => {
      const issuer = pki.userAuthentication.certificate;
      const complete = await pki.completeCrl();
      const downloads = { complete: jest.fn(async () => complete), delta: jest.fn(async () => undefined as Buffer | undefined) };
      const first = await synchroniseCrl(undefined, issuer, downloads, pki.now);
      expect(first.kind).toBe('complete');
      const holder = await pki.holder();
      const delta = await pki.deltaCrl(first.snapshot.complete.crlNumber!, [{ serialNumber: holder.serial, revocationDate: pki.now, reason: 'certificateHold' }]);
      downloads.delta.mockResolvedValue(delta);
      const later = new Date(pki.now.getTime() + 5_000);
      const second = await synchroniseCrl(first.snapshot, issuer, downloads, later);
      expect(second).toMatchObject({ kind: 'delta', bytes: delta.length });
      expect(second.snapshot.fetchedAt).toEqual(later);
      expect(second.snapshot.entries.get(holder.serial)?.reason).toBe('certificateHold');
      expect(downloads.complete).toHaveBeenCalledTimes(1);
      const third = await synchroniseCrl(second.snapshot, issuer, downloads, later);
      expect(third.kind).toBe('unchanged');
    });
  });

  it('falls back from an unreachable OCSP responder to a fresh cached CRL, never from a definite answer', async () => {
    const holder = await pki.holder();
    const snapshot = buildCrlSnapshot({ issuerCertificate: pki.userAuthentication.certificate, complete: await pki.completeCrl(), fetchedAt: pki.now });
    const down = new OcspStatusSource(() => Promise.reject(new Error('timeout')));
    const fallback = new FallbackStatusSource(down, new CrlStatusSource(() => snapshot, 600_000));
    expect(await checkHolderCertificate(holder.certificate, check(fallback))).toMatchObject({ ok: true, status: { source: 'crl', note: expect.stringContaining('timeout') } });
    pki.hold(holder.serial);
    // The CRL above predates the hold; OCSP (reachable) says on hold and wins.
    expect(await checkHolderCertificate(holder.certificate, check(new FallbackStatusSource(ocsp, new CrlStatusSource(() => snapshot, 600_000))))).toMatchObject({
      ok: false,
      reason: 'CERTIFICATE_ON_HOLD',
      statusSource: 'ocsp',
    });
  });

  it('checks trust: chain to the root and the optional root pin', async () => {
    await expect(checkTrust(pki.trust, pki.now)).resolves.toBeUndefined();
    await expect(checkTrust(pki.trust, pki.now, 'ab'.repeat(32))).rejects.toThrow(/pinned/);
    const other = await TestPki.create();
    await expect(checkTrust({ root: other.root.certificate, userAuthentication: pki.userAuthentication.certificate }, pki.now)).rejects.toThrow(/does not chain/);
  });

  it('OnlineHolderVerifier: loads trust once, caches the root CRL, checks OCSP on every call', async () => {
    const holder = await pki.holder();
    const directory: CaDirectory = {
      trustAnchors: jest.fn(async () => pki.trust),
      ocsp: jest.fn((der: Buffer) => pki.ocsp(der)),
      crl: jest.fn(async () => pki.rootCrl()),
    };
    const verifier = new OnlineHolderVerifier(directory, { rootCrlMaxAgeMs: 60_000 });
    for (let i = 0; i < 3; i++) {
      const challenge = randomBytes(32);
      expect(await verifier.verify(challenge, holder.sign(challenge), holder.certificate, pki.now)).toMatchObject({ ok: true });
    }
    pki.hold(holder.serial);
    expect(await verifier.recheck(holder.certificate, pki.now)).toMatchObject({ ok: false, reason: 'CERTIFICATE_ON_HOLD' });
    expect(directory.trustAnchors).toHaveBeenCalledTimes(1);
    expect(directory.crl).toHaveBeenCalledTimes(1);
    expect(directory.ocsp).toHaveBeenCalledTimes(4);
    await verifier.recheck(holder.certificate, new Date(pki.now.getTime() + 61_000));
    expect(directory.crl).toHaveBeenCalledTimes(2);
  });

  it('StatusUnavailableError carries the refusal reason', () => {
    expect(new StatusUnavailableError('CRL_STALE', 'x').reason).toBe('CRL_STALE');
  });
});
