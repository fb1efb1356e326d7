import { toPem } from '../encoding/pem';
import { formatSerialNumber } from '../encoding/serial-number';
import { issueCertificate } from '../issuance/issue-certificate';
import { jpkiOcspResponderName } from '../jpki/jpki-names';
import { exportPkcs8Der, generateRsaKeyPair } from '../keys/rsa-keys';
import { SoftwareRsaSigner } from '../keys/signer';
import type { CertificateStatus } from '../revocation/revocation-reason';
import { OpenSslWorkspace } from '@jpki/openssl-judge';
import { createTestHierarchy, daysFrom, issuePhoneCertificate, type TestHierarchy } from '../../test/test-hierarchy';
import { decodeCertificate } from '../x509/certificate';
import { computeCertId } from './cert-id';
import { buildOcspRequest, decodeOcspGetRequest, OcspRequestError, parseOcspRequest } from './ocsp-request';
import { buildOcspErrorResponse, buildOcspResponse } from './ocsp-response';
import { OcspTryLaterError, respondToOcspRequest, type OcspResponderOptions } from './ocsp-responder';
import { verifyOcspResponse } from './ocsp-verification';

const SERIALS = { good: 0x200n, compromised: 0x201n, held: 0x202n, unknown: 0x203n } as const;
type Leaf = keyof typeof SERIALS;

describe('OCSP (RFC 6960), judged by OpenSSL', () => {
  let pki: TestHierarchy;
  let openssl: OpenSslWorkspace;
  let leaves: Record<Leaf, Buffer>;
  let revocationTime: Date;
  let responderOptions: OcspResponderOptions;

  beforeAll(async () => {
    let subject: SoftwareRsaSigner;
    [pki, openssl, subject] = await Promise.all([createTestHierarchy(), OpenSslWorkspace.create(), SoftwareRsaSigner.generate()]);
    revocationTime = daysFrom(pki.now, -0.5);
    const entries = await Promise.all(
      (Object.keys(SERIALS) as Leaf[]).map(async (name) => [name, await issuePhoneCertificate(pki, SERIALS[name], subject.publicKeySpki)] as const),
    );
    leaves = Object.fromEntries(entries) as Record<Leaf, Buffer>;
    const statuses: Record<string, CertificateStatus> = {
      [formatSerialNumber(SERIALS.good)]: { status: 'good' },
      [formatSerialNumber(SERIALS.compromised)]: { status: 'revoked', revocationTime, reason: 'keyCompromise' },
      [formatSerialNumber(SERIALS.held)]: { status: 'revoked', revocationTime, reason: 'certificateHold' },
    };
    responderOptions = {
      authorities: [{ issuerCertificate: pki.userAuthenticationCa.certificate, responder: pki.userAuthenticationResponder }],
      lookup: async (_issuer, serial) => statuses[serial] ?? { status: 'unknown' },
      now: () => pki.now,
      validityMs: 3_600_000,
    };
    await Promise.all([
      openssl.write('root.pem', toPem(pki.root.certificate, 'CERTIFICATE')),
      openssl.write('ca.pem', toPem(pki.userAuthenticationCa.certificate, 'CERTIFICATE')),
      openssl.write('responder.pem', toPem(pki.userAuthenticationResponder.certificate, 'CERTIFICATE')),
      ...(Object.keys(leaves) as Leaf[]).map((name) => openssl.write(`${name}.pem`, toPem(leaves[name], 'CERTIFICATE'))),
    ]);
  });

  afterAll(() => openssl.dispose());

  async function opensslRequest(name: string, leafNames: readonly Leaf[], extra: readonly string[] = []): Promise<Buffer> {
    const certs = leafNames.flatMap((leaf) => ['-cert', `${leaf}.pem`]);
    // A digest option such as -sha256 applies to the -cert options after it.
    const result = await openssl.run(['ocsp', '-issuer', 'ca.pem', ...extra, ...certs, '-nonce', '-reqout', `${name}.der`]);
    expect(result.code).toBe(0);
    return openssl.read(`${name}.der`);
  }

  /**
   * Two OpenSSL 3.0 runs: with -reqin it checks signature, responder and nonce (but prints statuses only via
   * -resp_text, because -cert would replace the request read from -reqin); with -cert/-no_nonce it prints
   * the per-certificate status lines.
   */
  async function opensslCheck(request: string, response: Buffer, leafNames: readonly Leaf[], trust: readonly string[]) {
    await openssl.write(`${request}-resp.der`, response);
    const withRequest = await openssl.run(['ocsp', '-respin', `${request}-resp.der`, '-reqin', `${request}.der`, ...trust, '-resp_text']);
    const certs = leafNames.flatMap((leaf) => ['-cert', `${leaf}.pem`]);
    const perCertificate = await openssl.run(['ocsp', '-respin', `${request}-resp.der`, '-issuer', 'ca.pem', ...certs, '-no_nonce', ...trust]);
    return { withRequest, perCertificate };
  }

  const VIA_CHAIN = ['-CAfile', 'root.pem', '-verify_other', 'ca.pem'];
  const VIA_VAFILE = ['-VAfile', 'responder.pem', '-CAfile', 'root.pem'];

  describe('responder', () => {
    it('parses an OpenSSL request with two certificates, SHA-1 CertIDs and a nonce', async () => {
      const request = parseOcspRequest(await opensslRequest('pair', ['good', 'compromised']));
      expect(request.requests.map((single) => single.certId.serialNumber)).toEqual(['0200', '0201']);
      expect(request.requests.every((single) => single.certId.hashAlgorithm === 'SHA-1')).toBe(true);
      expect(request.nonce?.subarray(0, 2)).toEqual(Buffer.from([0x04, 0x10]));
      expect(request.requests[0].certId.raw).toEqual(computeCertId(leaves.good, pki.userAuthenticationCa.certificate, 'SHA-1').raw);
    });

    it('reads an RFC 5019 one-CertID request off the DER tree, as the whole-request path would, and strictly', async () => {
      const ca = pki.userAuthenticationCa.certificate;
      await openssl.run(['ocsp', '-issuer', 'ca.pem', '-cert', 'good.pem', '-no_nonce', '-reqout', 'lightweight.der']);
      const der = await openssl.read('lightweight.der');
      const request = parseOcspRequest(der);
      expect(request).toMatchObject({ extensions: [], signed: false });
      expect(request.nonce).toBeUndefined();
      expect(request.requests.map((single) => single.certId)).toEqual([computeCertId(leaves.good, ca, 'SHA-1')]);
      // the same bytes with the outer length in a non-minimal long form: BER, not DER
      const longForm = Buffer.concat([Buffer.from([0x30, 0x81]), der.subarray(1)]);
      expect(() => parseOcspRequest(longForm)).toThrow(OcspRequestError);
    });

    it.each([
      ['good', 'good.pem: good', undefined],
      ['compromised', 'compromised.pem: revoked', 'Reason: keyCompromise'],
      ['held', 'held.pem: revoked', 'Reason: certificateHold'],
      ['unknown', 'unknown.pem: unknown', undefined],
    ] as const)('answers %s and OpenSSL verifies signature, delegation and nonce', async (leaf, statusLine, reasonLine) => {
      await opensslRequest(`req-${leaf}`, [leaf]);
      const response = await respondToOcspRequest(await openssl.read(`req-${leaf}.der`), responderOptions);
      for (const trust of [VIA_CHAIN, VIA_VAFILE]) {
        const { withRequest, perCertificate } = await opensslCheck(`req-${leaf}`, response, [leaf], trust);
        expect(withRequest.stderr).toContain('Response verify OK');
        expect(withRequest.output).not.toMatch(/Nonce Verify error|WARNING: no nonce/);
        expect(withRequest.code).toBe(0);
        expect(perCertificate.stderr).toContain('Response verify OK');
        expect(perCertificate.stdout).toContain(statusLine);
        if (reasonLine) expect(perCertificate.stdout).toContain(reasonLine);
      }
    });

    it('signs with SHA-256, echoes the nonce and names the responder by key (-resp_text)', async () => {
      await opensslRequest('req-text', ['good', 'held']);
      const response = await respondToOcspRequest(await openssl.read('req-text.der'), responderOptions);
      const { withRequest, perCertificate } = await opensslCheck('req-text', response, ['good', 'held'], VIA_CHAIN);
      const stdout = withRequest.stdout;
      expect(stdout).toContain('OCSP Response Status: successful (0x0)');
      expect(stdout).toContain('Response Type: Basic OCSP Response');
      expect(stdout).toMatch(/Signature Algorithm: sha256WithRSAEncryption/);
      expect(stdout).toMatch(/Responder Id: [0-9A-F]{40}/);
      expect(stdout).toContain('OCSP Nonce');
      expect(stdout).toContain('Hash Algorithm: sha1');
      expect(stdout).toContain('Revocation Reason: certificateHold (0x6)');
      expect(perCertificate.stdout).toMatch(/good.pem: good[\s\S]+held.pem: revoked[\s\S]+Reason: certificateHold/);
      expect(stdout).toContain('Next Update:');
    });

    it('answers SHA-256 CertIDs, and a responder named byName', async () => {
      await opensslRequest('req-sha256', ['compromised'], ['-sha256']);
      const request = parseOcspRequest(await openssl.read('req-sha256.der'));
      expect(request.requests[0].certId.hashAlgorithm).toBe('SHA-256');
      const response = await buildOcspResponse({
        responder: { ...pki.userAuthenticationResponder, responderIdType: 'byName' },
        producedAt: pki.now,
        responses: [{ certId: request.requests[0].certId, status: { status: 'revoked', revocationTime, reason: 'keyCompromise' }, thisUpdate: pki.now }],
        nonce: request.nonce,
      });
      const { withRequest } = await opensslCheck('req-sha256', response, ['compromised'], VIA_CHAIN);
      expect(withRequest.stderr).toContain('Response verify OK');
      expect(withRequest.output).not.toContain('Nonce Verify error');
      expect(withRequest.stdout).toContain('Hash Algorithm: sha256');
      expect(withRequest.stdout).toContain('Responder Id: C = JP, O = JPKI');
      expect(withRequest.stdout).toContain('Revocation Reason: keyCompromise (0x1)');
    });

    it('answers unauthorized for another CA, malformedRequest for garbage, tryLater when the store is down', async () => {
      await openssl.write('sign-ca.pem', toPem(pki.digitalSignatureCa.certificate, 'CERTIFICATE'));
      await openssl.run(['ocsp', '-issuer', 'sign-ca.pem', '-serial', '0x55', '-reqout', 'req-other.der']);
      const cases = [
        [await respondToOcspRequest(await openssl.read('req-other.der'), responderOptions), 'unauthorized (6)'],
        [await respondToOcspRequest(Buffer.from('junk'), responderOptions), 'malformedrequest (1)'],
        [
          await respondToOcspRequest(await opensslRequest('req-down', ['good']), {
            ...responderOptions,
            lookup: () => Promise.reject(new OcspTryLaterError('database failover')),
          }),
          'trylater (3)',
        ],
      ] as const;
      for (const [response, status] of cases) {
        await openssl.write('error.der', response);
        expect((await openssl.run(['ocsp', '-respin', 'error.der', '-resp_text', '-noverify'])).stdout).toContain(`Responder Error: ${status}`);
      }
    });

    it('decodes RFC 6960 GET paths (URL-encoded base64 and base64url)', async () => {
      const der = await opensslRequest('req-get', ['good']);
      expect(decodeOcspGetRequest(`/${encodeURIComponent(der.toString('base64'))}`)).toEqual(der);
      expect(decodeOcspGetRequest(der.toString('base64url'))).toEqual(der);
      expect(() => parseOcspRequest(decodeOcspGetRequest('bm90IGFuIG9jc3AgcmVxdWVzdA'))).toThrow(OcspRequestError);
    });

    it('rejects a request whose nonce exceeds 32 octets (RFC 8954)', async () => {
      const { der } = buildOcspRequest({ certificate: leaves.good, issuerCertificate: pki.userAuthenticationCa.certificate, nonce: Buffer.alloc(33, 1) });
      expect(() => parseOcspRequest(der)).toThrow('nonce of 33 octets');
      await openssl.write('error.der', await respondToOcspRequest(der, responderOptions));
      expect((await openssl.run(['ocsp', '-respin', 'error.der', '-resp_text', '-noverify'])).stdout).toContain('Responder Error: malformedrequest (1)');
    });
  });

  describe('client', () => {
    const ca = () => pki.userAuthenticationCa.certificate;

    async function ask(leaf: Leaf, options: Partial<OcspResponderOptions> = {}) {
      const request = buildOcspRequest({ certificate: leaves[leaf], issuerCertificate: ca() });
      const response = await respondToOcspRequest(request.der, { ...responderOptions, ...options });
      return { request, response };
    }

    it('builds a request OpenSSL reads, and verifies good / revoked(reason) answers', async () => {
      const { request, response } = await ask('good');
      await openssl.write('client-req.der', request.der);
      const text = await openssl.run(['ocsp', '-reqin', 'client-req.der', '-req_text']);
      expect(text.stdout).toContain('Hash Algorithm: sha256');
      expect(text.stdout).toContain('OCSP Nonce');
      expect(verifyOcspResponse({ response, certificate: leaves.good, issuerCertificate: ca(), nonce: request.nonce, at: pki.now })).toMatchObject({
        ok: true,
        certificateStatus: { status: 'good' },
      });
      const held = await ask('held');
      expect(
        verifyOcspResponse({ response: held.response, certificate: leaves.held, issuerCertificate: ca(), nonce: held.request.nonce, at: pki.now }),
      ).toMatchObject({ ok: true, certificateStatus: { status: 'revoked', reason: 'certificateHold', revocationTime } });
    });

    it('rejects a nonce mismatch, a missing nonce, a stale response and a tampered signature', async () => {
      const { request, response } = await ask('good');
      const base = { response, certificate: leaves.good, issuerCertificate: ca(), at: pki.now };
      const other = buildOcspRequest({ certificate: leaves.good, issuerCertificate: ca() });
      expect(verifyOcspResponse({ ...base, nonce: other.nonce })).toMatchObject({ ok: false, reason: 'OCSP_NONCE_MISMATCH' });
      const noNonce = await respondToOcspRequest(buildOcspRequest({ certificate: leaves.good, issuerCertificate: ca(), nonce: false }).der, responderOptions);
      expect(verifyOcspResponse({ ...base, response: noNonce, nonce: request.nonce })).toMatchObject({ ok: false, reason: 'OCSP_NONCE_MISSING' });
      expect(verifyOcspResponse({ ...base, nonce: request.nonce, at: daysFrom(pki.now, 1) })).toMatchObject({ ok: false, reason: 'OCSP_RESPONSE_EXPIRED' });
      expect(verifyOcspResponse({ ...base, nonce: request.nonce, at: daysFrom(pki.now, -1) })).toMatchObject({ ok: false, reason: 'OCSP_RESPONSE_NOT_YET_VALID' });
      const tampered = Buffer.from(response);
      tampered[tampered.indexOf(Buffer.from('800018', 'hex'))] = 0x82;
      expect(verifyOcspResponse({ ...base, response: tampered, nonce: request.nonce })).toMatchObject({ ok: false, reason: 'OCSP_SIGNATURE_INVALID' });
    });

    it('rejects responders not authorised by the CA (RFC 6960 §4.2.2.2)', async () => {
      const { request } = await ask('good');
      const foreign = await respondToOcspRequest(request.der, {
        ...responderOptions,
        authorities: [{ issuerCertificate: ca(), responder: pki.digitalSignatureResponder }],
      });
      const result = verifyOcspResponse({ response: foreign, certificate: leaves.good, issuerCertificate: ca(), nonce: request.nonce, at: pki.now });
      expect(result).toMatchObject({ ok: false, reason: 'OCSP_RESPONDER_UNAUTHORIZED' });
      await openssl.write('foreign-req.der', request.der);
      await openssl.write('foreign-resp.der', foreign);
      const judged = await openssl.run(['ocsp', '-respin', 'foreign-resp.der', '-reqin', 'foreign-req.der', ...VIA_CHAIN]);
      expect(judged.output).toContain('Response Verify Failure');
      expect(judged.code).not.toBe(0);
    });

    it('accepts a response signed by the CA itself and one produced by openssl ocsp as responder', async () => {
      const { request } = await ask('compromised');
      const byCa = await respondToOcspRequest(request.der, {
        ...responderOptions,
        authorities: [{ issuerCertificate: ca(), responder: pki.userAuthenticationCa }],
      });
      const options = { certificate: leaves.compromised, issuerCertificate: ca(), nonce: request.nonce, at: pki.now };
      expect(verifyOcspResponse({ ...options, response: byCa })).toMatchObject({ ok: true, certificateStatus: { reason: 'keyCompromise' } });

      const { privateKey } = await generateRsaKeyPair();
      const signer = new SoftwareRsaSigner(privateKey);
      const responderCertificate = await issueCertificate({
        profile: 'jpki-ocsp-responder',
        serialNumber: 0x0a02n,
        subject: jpkiOcspResponderName('user-authentication', '2'),
        subjectPublicKeyInfo: signer.publicKeySpki,
        validity: { notBefore: daysFrom(pki.now, -1), notAfter: daysFrom(pki.now, 30) },
        issuer: pki.userAuthenticationCa,
      });
      const expiry = '491231235959Z';
      await Promise.all([
        openssl.write('index.txt', `R\t${expiry}\t250101000000Z,keyCompromise\t0201\tunknown\t/C=JP/CN=PHONE000000000201\n`),
        openssl.write('rsigner.pem', toPem(responderCertificate, 'CERTIFICATE')),
        openssl.write('rkey.pem', toPem(exportPkcs8Der(privateKey), 'PRIVATE KEY')),
        openssl.write('client-compromised.der', request.der),
      ]);
      const served = await openssl.run([
        'ocsp', '-index', 'index.txt', '-rsigner', 'rsigner.pem', '-rkey', 'rkey.pem', '-CA', 'ca.pem',
        '-reqin', 'client-compromised.der', '-respout', 'openssl-resp.der', '-ndays', '1',
      ]);
      expect(served.code).toBe(0);
      const result = verifyOcspResponse({ ...options, response: await openssl.read('openssl-resp.der'), at: new Date() });
      expect(result).toMatchObject({ ok: true, certificateStatus: { status: 'revoked', reason: 'keyCompromise' } });
    });

    it('reports unsuccessful responses and SingleResponses for other certificates', async () => {
      const unsuccessful = verifyOcspResponse({ response: buildOcspErrorResponse('tryLater'), certificate: leaves.good, issuerCertificate: ca() });
      expect(unsuccessful).toMatchObject({ ok: false, reason: 'OCSP_RESPONSE_UNSUCCESSFUL', responseStatus: 'tryLater' });
      const { response } = await ask('held');
      expect(verifyOcspResponse({ response, certificate: leaves.good, issuerCertificate: ca(), at: pki.now })).toMatchObject({
        ok: false,
        reason: 'OCSP_CERT_STATUS_MISSING',
      });
      expect(verifyOcspResponse({ response: Buffer.from([0x30, 0x00]), certificate: leaves.good, issuerCertificate: ca() })).toMatchObject({
        ok: false,
        reason: 'OCSP_RESPONSE_MALFORMED',
      });
      expect(decodeCertificate(leaves.good).tbs.serialNumber).toBe(SERIALS.good);
    });
  });
});
