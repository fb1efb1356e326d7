import { toPem } from '../encoding/pem';
import { SoftwareRsaSigner } from '../keys/signer';
import { LintRejectionError } from '../lint/lint-finding';
import { lintCrl } from '../lint/crl-lint';
import { OpenSslWorkspace } from '@jpki/openssl-judge';
import { createTestHierarchy, daysFrom, issuePhoneCertificate, type TestHierarchy } from '../../test/test-hierarchy';
import { pkijsTbs, signTbs } from '../asn1/pkijs-interop';
import { applyDeltaCrl, buildCertificateList, crlCertificateStatus, findCrlEntry, parseCrl, verifyCrlSignature, type BuildCrlRequest } from './crl';
import { issueCrl } from './crl-issuance';

const GOOD = 0x100n;
const COMPROMISED = 0x101n;
const HELD = 0x102n;
const LATER = 0x103n;

describe('CRL (complete and delta), judged by OpenSSL', () => {
  let pki: TestHierarchy;
  let openssl: OpenSslWorkspace;
  let completeRequest: BuildCrlRequest;
  let complete: Buffer;
  let delta: Buffer;

  beforeAll(async () => {
    let subject: SoftwareRsaSigner;
    [pki, openssl, subject] = await Promise.all([createTestHierarchy(), OpenSslWorkspace.create(), SoftwareRsaSigner.generate()]);
    const at = (days: number) => daysFrom(pki.now, days);
    completeRequest = {
      issuer: pki.userAuthenticationCa,
      crlNumber: 41n,
      deltaCrlUri: 'http://crl.jpki.example/user-authentication-delta.crl',
      thisUpdate: at(-0.25),
      nextUpdate: at(1),
      entries: [
        { serialNumber: COMPROMISED, revocationDate: at(-0.5), reason: 'keyCompromise', invalidityDate: at(-2) },
        { serialNumber: HELD, revocationDate: at(-0.375), reason: 'certificateHold' },
      ],
    };
    complete = await issueCrl(completeRequest);
    delta = await issueCrl({
      issuer: pki.userAuthenticationCa,
      crlNumber: 42n,
      baseCrlNumber: 41n,
      thisUpdate: at(-0.125),
      nextUpdate: at(0.25),
      entries: [
        { serialNumber: HELD, revocationDate: at(-0.25), reason: 'removeFromCRL' },
        { serialNumber: LATER, revocationDate: at(-0.25), reason: 'superseded' },
      ],
    });
    const rootCrl = await issueCrl({ issuer: pki.root, crlNumber: 1n, thisUpdate: at(-0.01), nextUpdate: at(30), entries: [] });
    const certificates = await Promise.all([GOOD, COMPROMISED, HELD, LATER].map((serial) => issuePhoneCertificate(pki, serial, subject.publicKeySpki)));
    await Promise.all([
      openssl.write('root.pem', toPem(pki.root.certificate, 'CERTIFICATE')),
      openssl.write('ca.pem', toPem(pki.userAuthenticationCa.certificate, 'CERTIFICATE')),
      openssl.write('complete.der', complete),
      openssl.write('complete.pem', toPem(complete, 'X509 CRL')),
      openssl.write('delta.pem', toPem(delta, 'X509 CRL')),
      openssl.write('root-crl.pem', toPem(rootCrl, 'X509 CRL')),
      ...['good', 'compromised', 'held', 'later'].map((name, i) => openssl.write(`${name}.pem`, toPem(certificates[i], 'CERTIFICATE'))),
    ]);
  });

  afterAll(() => openssl.dispose());

  const verifyWithCrls = (leaf: string, ...crlArgs: string[]) =>
    openssl.run(['verify', '-crl_check', '-CAfile', 'root.pem', '-untrusted', 'ca.pem', ...crlArgs, leaf]);

  it('openssl crl verifies the complete CRL signature against the CA certificate', async () => {
    const result = await openssl.run(['crl', '-in', 'complete.der', '-inform', 'DER', '-CAfile', 'ca.pem', '-noout']);
    expect(result.code).toBe(0);
    expect(result.output).toContain('verify OK');
    const forged = await openssl.run(['crl', '-in', 'complete.der', '-inform', 'DER', '-CAfile', 'root.pem', '-noout']);
    expect(forged.code).not.toBe(0);
  });

  it('openssl crl -text shows CRL number, AKI, reasons and invalidity date', async () => {
    const { stdout } = await openssl.run(['crl', '-in', 'complete.pem', '-noout', '-text']);
    expect(stdout).toContain('Version 2 (0x1)');
    expect(stdout).toMatch(/X509v3 CRL Number:\s+41/);
    expect(stdout).toContain('X509v3 Authority Key Identifier');
    expect(stdout).toContain('Signature Algorithm: sha256WithRSAEncryption');
    expect(stdout).toMatch(/X509v3 Freshest CRL:\s+Full Name:\s+URI:http:\/\/crl.jpki.example\/user-authentication-delta.crl/);
    expect(stdout).toMatch(/Serial Number: 0101[\s\S]+?Key Compromise[\s\S]+?Invalidity Date/);
    expect(stdout).toMatch(/Serial Number: 0102[\s\S]+?Certificate Hold/);
  });

  it('openssl verify -crl_check rejects revoked and held leaves and accepts a good one', async () => {
    expect((await verifyWithCrls('good.pem', '-CRLfile', 'complete.pem')).output).toContain('good.pem: OK');
    const revoked = await verifyWithCrls('compromised.pem', '-CRLfile', 'complete.pem');
    expect(revoked.code).not.toBe(0);
    expect(revoked.output).toContain('certificate revoked');
    expect((await verifyWithCrls('held.pem', '-CRLfile', 'complete.pem')).output).toContain('certificate revoked');
  });

  it('openssl verify -crl_check_all accepts the good leaf with the root ARL as well', async () => {
    const result = await openssl.run([
      'verify', '-crl_check_all', '-CAfile', 'root.pem', '-untrusted', 'ca.pem', '-CRLfile', 'complete.pem', '-CRLfile', 'root-crl.pem', 'good.pem',
    ]);
    expect(result.output).toContain('good.pem: OK');
  });

  it('openssl -use_deltas applies the delta: hold released, new revocation visible', async () => {
    const { stdout } = await openssl.run(['crl', '-in', 'delta.pem', '-noout', '-text']);
    expect(stdout).toMatch(/X509v3 Delta CRL Indicator: critical\s+41/);
    expect(stdout).toContain('Remove From CRL');
    // Without -extended_crl OpenSSL 3.0 may score the delta itself as the base CRL and never read the complete one.
    const withDelta = ['-extended_crl', '-use_deltas', '-CRLfile', 'complete.pem', '-CRLfile', 'delta.pem'];
    expect((await verifyWithCrls('held.pem', ...withDelta)).output).toContain('held.pem: OK');
    expect((await verifyWithCrls('later.pem', ...withDelta)).output).toContain('certificate revoked');
    expect((await verifyWithCrls('compromised.pem', ...withDelta)).output).toContain('certificate revoked');
  });

  it('openssl asn1parse parses both CRLs', async () => {
    for (const file of ['complete.pem', 'delta.pem', 'root-crl.pem']) expect((await openssl.run(['asn1parse', '-in', file])).code).toBe(0);
  });

  it('parses a CRL for an offline relying-party cache and looks serials up', () => {
    const crl = parseCrl(complete);
    expect(verifyCrlSignature(crl, pki.userAuthenticationCa.certificate)).toBe(true);
    expect(verifyCrlSignature(crl, pki.digitalSignatureCa.certificate)).toBe(false);
    expect(crl).toMatchObject({ version: 2, crlNumber: 41n, nextUpdate: completeRequest.nextUpdate });
    expect(findCrlEntry(crl, '0101')).toMatchObject({ reason: 'keyCompromise', invalidityDate: expect.any(Date) });
    expect(crlCertificateStatus(crl, HELD)).toMatchObject({ status: 'revoked', reason: 'certificateHold' });
    expect(crlCertificateStatus(crl, GOOD)).toEqual({ status: 'good' });
  });

  it('merges a delta CRL into the complete CRL', () => {
    const entries = applyDeltaCrl(parseCrl(complete), parseCrl(delta));
    expect(crlCertificateStatus({ entries }, HELD)).toEqual({ status: 'good' });
    expect(crlCertificateStatus({ entries }, LATER)).toMatchObject({ status: 'revoked', reason: 'superseded' });
    expect(crlCertificateStatus({ entries }, COMPROMISED)).toMatchObject({ status: 'revoked', reason: 'keyCompromise' });
    expect(() => applyDeltaCrl(parseCrl(delta), parseCrl(complete))).toThrow('expected a complete CRL and a delta CRL');
  });

  it('issues and reads back a CRL listing 3,000 certificates (beyond the default node bound of asn1js), as OpenSSL does', async () => {
    const entries = Array.from({ length: 3000 }, (_, i) => ({ serialNumber: 0x10000n + BigInt(i), revocationDate: completeRequest.thisUpdate, reason: 'certificateHold' as const }));
    const large = await issueCrl({ ...completeRequest, entries });
    const crl = parseCrl(large);
    expect(crl.entries).toHaveLength(3000);
    expect(crlCertificateStatus(crl, 0x10000n + 2999n)).toMatchObject({ status: 'revoked', reason: 'certificateHold' });
    await openssl.write('large.der', large);
    const result = await openssl.run(['crl', '-in', 'large.der', '-inform', 'DER', '-CAfile', 'ca.pem', '-noout']);
    expect(result.output).toContain('verify OK');
  });

  it('lint refuses removeFromCRL in a complete CRL, inverted update times and a non-CA issuer', async () => {
    const removal = { ...completeRequest, entries: [{ serialNumber: HELD, revocationDate: pki.now, reason: 'removeFromCRL' as const }] };
    await expect(issueCrl(removal)).rejects.toBeInstanceOf(LintRejectionError);
    const inverted = { ...completeRequest, nextUpdate: daysFrom(pki.now, -1) };
    await expect(issueCrl(inverted)).rejects.toMatchObject({ findings: [expect.objectContaining({ code: 'CRL_NEXT_UPDATE_NOT_AFTER_THIS_UPDATE' })] });
    const responderAsIssuer = { ...completeRequest, issuer: pki.userAuthenticationResponder };
    const rejection = await issueCrl(responderAsIssuer).catch((error: LintRejectionError) => error);
    expect((rejection as LintRejectionError).findings.map((f) => f.code)).toContain('CRL_ISSUER_CANNOT_SIGN_CRLS');
  });

  it('lintCrl flags a CRL signed by a key other than the CA key, and garbage', async () => {
    const wrongKey = await signTbs(pkijsTbs(buildCertificateList(completeRequest)), pki.digitalSignatureCa.signer);
    expect(lintCrl(wrongKey, { issuerCertificate: pki.userAuthenticationCa.certificate, signerPublicKeySpki: pki.digitalSignatureCa.signer.publicKeySpki }))
      .toEqual([expect.objectContaining({ code: 'CRL_ISSUER_KEY_MISMATCH' })]);
    expect(lintCrl(Buffer.from('garbage'), { issuerCertificate: pki.userAuthenticationCa.certificate })[0].code).toBe('CRL_MALFORMED');
  });
});
