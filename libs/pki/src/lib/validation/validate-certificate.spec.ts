import { toPem } from '../encoding/pem';
import { formatSerialNumber } from '../encoding/serial-number';
import { buildTbsCertificate } from '../issuance/issue-certificate';
import { crlCertificateStatus, parseCrl } from '../crl/crl';
import { issueCrl } from '../crl/crl-issuance';
import { userAuthenticationSubject } from '../jpki/jpki-names';
import { JpkiOid } from '../jpki/jpki-oids';
import { SoftwareRsaSigner } from '../keys/signer';
import { buildOcspRequest } from '../ocsp/ocsp-request';
import { respondToOcspRequest } from '../ocsp/ocsp-responder';
import { verifyOcspResponse } from '../ocsp/ocsp-verification';
import type { CertificateStatus } from '../revocation/revocation-reason';
import { OpenSslWorkspace } from '@jpki/openssl-judge';
import { createTestHierarchy, daysFrom, issuePhoneCertificate, type TestHierarchy } from '../../test/test-hierarchy';
import { decodeCertificate } from '../x509/certificate';
import { signTbs } from '../asn1/pkijs-interop';
import { validateCertificate, type RevocationChecker, type ValidateCertificateOptions } from './validate-certificate';

describe('validateCertificate (relying party / identity proofing)', () => {
  let pki: TestHierarchy;
  let otherPki: TestHierarchy;
  let subject: SoftwareRsaSigner;
  let phone: Buffer;
  let heldPhone: Buffer;
  let revokedPhone: Buffer;

  beforeAll(async () => {
    [pki, otherPki, subject] = await Promise.all([createTestHierarchy(), createTestHierarchy(), SoftwareRsaSigner.generate()]);
    [phone, heldPhone, revokedPhone] = await Promise.all(
      [0x300n, 0x301n, 0x302n].map((serial) => issuePhoneCertificate(pki, serial, subject.publicKeySpki)),
    );
  });

  const base = (): ValidateCertificateOptions => ({
    certificate: phone,
    intermediates: [pki.userAuthenticationCa.certificate, pki.digitalSignatureCa.certificate],
    trustAnchors: [pki.root.certificate],
    at: pki.now,
  });

  /** Relying party checking status through the simulated responder, as an online service would. */
  const viaOcsp = (statuses: Record<string, CertificateStatus>): RevocationChecker => async (certificate, issuer) => {
    const request = buildOcspRequest({ certificate, issuerCertificate: issuer });
    const response = await respondToOcspRequest(request.der, {
      authorities: [{ issuerCertificate: pki.userAuthenticationCa.certificate, responder: pki.userAuthenticationResponder }],
      lookup: async (_issuer, serial) => statuses[serial] ?? { status: 'good' },
      now: () => pki.now,
      validityMs: 600_000,
    });
    const verified = verifyOcspResponse({ response, certificate, issuerCertificate: issuer, nonce: request.nonce, at: pki.now });
    if (!verified.ok) throw new Error(verified.reason);
    return verified.certificateStatus;
  };

  it('accepts root → user-authentication CA → phone and returns the chain', async () => {
    const result = await validateCertificate({ ...base(), requiredPolicies: [JpkiOid.policyPhoneUserAuthentication], requiredKeyUsage: ['digitalSignature'] });
    expect(result).toEqual({ ok: true, chain: [phone, pki.userAuthenticationCa.certificate, pki.root.certificate] });
  });

  it('reports CHAIN_UNTRUSTED without the intermediate or under a foreign root', async () => {
    expect(await validateCertificate({ ...base(), intermediates: [] })).toMatchObject({ ok: false, reason: 'CHAIN_UNTRUSTED' });
    expect(await validateCertificate({ ...base(), trustAnchors: [otherPki.root.certificate] })).toMatchObject({ ok: false, reason: 'CHAIN_UNTRUSTED' });
  });

  it('reports SIGNATURE_INVALID for a tampered certificate', async () => {
    const tampered = Buffer.from(phone);
    tampered[tampered.length - 5] ^= 0xff;
    expect(await validateCertificate({ ...base(), certificate: tampered })).toMatchObject({ ok: false, reason: 'SIGNATURE_INVALID' });
  });

  it('reports EXPIRED and NOT_YET_VALID, as openssl verify -attime does', async () => {
    const later = daysFrom(pki.now, 1200);
    expect(await validateCertificate({ ...base(), at: later })).toMatchObject({ ok: false, reason: 'EXPIRED' });
    expect(await validateCertificate({ ...base(), at: daysFrom(pki.now, -2) })).toMatchObject({ ok: false, reason: 'NOT_YET_VALID' });
    const openssl = await OpenSslWorkspace.create();
    try {
      await openssl.write('root.pem', toPem(pki.root.certificate, 'CERTIFICATE'));
      await openssl.write('ca.pem', toPem(pki.userAuthenticationCa.certificate, 'CERTIFICATE'));
      await openssl.write('phone.pem', toPem(phone, 'CERTIFICATE'));
      const attime = String(Math.floor(later.getTime() / 1000));
      const judged = await openssl.run(['verify', '-attime', attime, '-CAfile', 'root.pem', '-untrusted', 'ca.pem', 'phone.pem']);
      expect(judged.output).toContain('certificate has expired');
    } finally {
      await openssl.dispose();
    }
  });

  it('reports WRONG_ISSUER_CA and POLICY_MISMATCH for a phone certificate offered as a card signing certificate', async () => {
    expect(await validateCertificate({ ...base(), expectedIssuers: [pki.digitalSignatureCa.certificate] })).toMatchObject({ ok: false, reason: 'WRONG_ISSUER_CA' });
    expect(await validateCertificate({ ...base(), requiredPolicies: [JpkiOid.policyDigitalSignature] })).toMatchObject({ ok: false, reason: 'POLICY_MISMATCH' });
    expect(await validateCertificate({ ...base(), requiredKeyUsage: ['nonRepudiation'] })).toMatchObject({ ok: false, reason: 'KEY_USAGE_INVALID' });
  });

  it('reports NOT_A_CA for a certificate "issued" by the OCSP responder (lint bypassed on purpose)', async () => {
    const tbs = buildTbsCertificate({
      profile: 'jpki-phone-user-authentication',
      serialNumber: 0x399n,
      subject: userAuthenticationSubject('ROGUE'),
      subjectPublicKeyInfo: subject.publicKeySpki,
      validity: { notBefore: pki.now, notAfter: daysFrom(pki.now, 10) },
      issuer: pki.userAuthenticationResponder,
    });
    const rogue = await signTbs(tbs, pki.userAuthenticationResponder.signer);
    const result = await validateCertificate({ ...base(), certificate: rogue, intermediates: [pki.userAuthenticationCa.certificate, pki.userAuthenticationResponder.certificate] });
    expect(result).toMatchObject({ ok: false, reason: 'NOT_A_CA', failingCertificate: pki.userAuthenticationResponder.certificate });
  });

  it('reports REVOKED with its reason from a cached CRL', async () => {
    const crl = parseCrl(
      await issueCrl({
        issuer: pki.userAuthenticationCa,
        crlNumber: 7n,
        thisUpdate: daysFrom(pki.now, -0.1),
        nextUpdate: daysFrom(pki.now, 1),
        entries: [{ serialNumber: 0x302n, revocationDate: daysFrom(pki.now, -0.2), reason: 'superseded' }],
      }),
    );
    const fromCrl: RevocationChecker = async (certificate, issuer) =>
      issuer.equals(pki.root.certificate) ? { status: 'good' } : crlCertificateStatus(crl, decodeCertificate(certificate).tbs.serialNumber);
    expect(await validateCertificate({ ...base(), certificate: revokedPhone, revocation: fromCrl })).toMatchObject({
      ok: false,
      reason: 'REVOKED',
      revocationReason: 'superseded',
    });
    expect(await validateCertificate({ ...base(), revocation: fromCrl })).toMatchObject({ ok: true });
  });

  it('reports ON_HOLD via OCSP, REVOCATION_UNKNOWN and REVOCATION_CHECK_FAILED', async () => {
    const statuses = { [formatSerialNumber(0x301n)]: { status: 'revoked', revocationTime: pki.now, reason: 'certificateHold' } as const };
    const onlyLeaf = (checker: RevocationChecker): RevocationChecker => (certificate, issuer) =>
      issuer.equals(pki.root.certificate) ? Promise.resolve({ status: 'good' }) : checker(certificate, issuer);
    expect(await validateCertificate({ ...base(), certificate: heldPhone, revocation: onlyLeaf(viaOcsp(statuses)) })).toMatchObject({
      ok: false,
      reason: 'ON_HOLD',
      revocationReason: 'certificateHold',
    });
    expect(await validateCertificate({ ...base(), revocation: onlyLeaf(viaOcsp(statuses)) })).toMatchObject({ ok: true });
    const unknown: RevocationChecker = async () => ({ status: 'unknown' });
    expect(await validateCertificate({ ...base(), revocation: unknown })).toMatchObject({ ok: false, reason: 'REVOCATION_UNKNOWN' });
    expect(await validateCertificate({ ...base(), revocation: unknown, revocationUnknown: 'allow' })).toMatchObject({ ok: true });
    const broken: RevocationChecker = () => Promise.reject(new Error('responder unreachable'));
    expect(await validateCertificate({ ...base(), revocation: broken })).toMatchObject({ ok: false, reason: 'REVOCATION_CHECK_FAILED' });
  });

  it('reports CERTIFICATE_MALFORMED for garbage', async () => {
    expect(await validateCertificate({ ...base(), certificate: Buffer.from('garbage') })).toMatchObject({ ok: false, reason: 'CERTIFICATE_MALFORMED' });
  });
});
