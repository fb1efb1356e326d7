import { signCms } from '@jpki/pki';
import { TestPki, type SigningHolder } from '../test/pki-fixture';
import { buildCrlSnapshot } from './crl-snapshot';
import { OnlineHolderVerifier, type CaDirectory } from './online-verifier';
import { SIGNED_DOCUMENT_REFUSALS } from './refusals';
import { verifySignedDocument, type SignedDocumentCheck } from './signed-document';
import { ConcurringStatusSource, CrlStatusSource, OcspStatusSource } from './status-sources';

const DOCUMENT = Buffer.from('転居届: 新住所 大阪府大阪市北区中之島１丁目３番２０号');

describe('signed documents (e-applications)', () => {
  let pki: TestPki;
  let citizen: SigningHolder;

  beforeAll(async () => {
    pki = await TestPki.create();
    citizen = await pki.signingHolder();
  });

  beforeEach(() => pki.statuses.clear());

  /** OCSP and a CRL issued now (so it holds what `statuses` holds at this moment). */
  async function check(at = pki.now): Promise<SignedDocumentCheck> {
    const signingCrl = buildCrlSnapshot({ issuerCertificate: pki.digitalSignature.certificate, complete: await pki.signingCrl(), fetchedAt: at });
    const rootCrl = buildCrlSnapshot({ issuerCertificate: pki.root.certificate, complete: await pki.rootCrl(), fetchedAt: at });
    const ocsp = new OcspStatusSource((der) => pki.ocsp(der));
    return {
      trust: { root: pki.root.certificate, userAuthentication: pki.userAuthentication.certificate, digitalSignature: pki.digitalSignature.certificate },
      holderStatus: new ConcurringStatusSource([ocsp, new CrlStatusSource(() => signingCrl, 60_000)]),
      caStatus: new CrlStatusSource(() => rootCrl, Number.MAX_SAFE_INTEGER),
      at,
    };
  }

  const sign = (document = DOCUMENT, detached = true) => signCms(document, citizen.certificate, citizen.signer, { detached, signingTime: pki.now });

  it.each([
    ['detached', true],
    ['encapsulating the document', false],
  ])('accepts a signature %s: signer, signing time, personal data, status by OCSP and CRL', async (_label, detached) => {
    const result = await verifySignedDocument(DOCUMENT, await sign(DOCUMENT, detached), await check());
    expect(result).toMatchObject({
      ok: true,
      signer: { serial: citizen.serial },
      signingTime: pki.now,
      personalData: { name: '署名 花子', gender: '2', dateOfBirth: '319880314', address: '東京都千代田区霞が関２丁目１番２号' },
      status: { source: 'ocsp', ocspProducedAt: pki.now, crlNumber: expect.any(BigInt) },
    });
  });

  it('refuses another document (CMS_MESSAGE_DIGEST_MISMATCH), an encapsulated other one (CMS_CONTENT_MISMATCH) and junk (CMS_MALFORMED)', async () => {
    expect(await verifySignedDocument(Buffer.from('転居届: 改ざん'), await sign(), await check())).toMatchObject({ ok: false, reason: 'CMS_MESSAGE_DIGEST_MISMATCH', serial: citizen.serial });
    expect(await verifySignedDocument(Buffer.from('転居届: 改ざん'), await sign(DOCUMENT, false), await check())).toMatchObject({ ok: false, reason: 'CMS_CONTENT_MISMATCH' });
    expect(await verifySignedDocument(DOCUMENT, Buffer.from('not a SignedData'), await check())).toMatchObject({ ok: false, reason: 'CMS_MALFORMED' });
    expect([SIGNED_DOCUMENT_REFUSALS.CMS_MALFORMED, SIGNED_DOCUMENT_REFUSALS.CMS_MESSAGE_DIGEST_MISMATCH]).toEqual([400, 422]);
  });

  it('refuses a user-authentication certificate as not for signing (its CA is named: WRONG_ISSUER_CA)', async () => {
    const holder = await pki.holder();
    const signed = await signCms(DOCUMENT, holder.certificate, { ...citizen.signer, sign: async (data: Buffer) => holder.sign(data) } as never, { detached: true });
    expect(await verifySignedDocument(DOCUMENT, signed, await check())).toMatchObject({
      ok: false,
      reason: 'CERTIFICATE_NOT_FOR_SIGNING',
      validationReason: 'WRONG_ISSUER_CA',
      detail: expect.stringMatching(/User Authentication.*not by the digital-signature CA/i),
      serial: holder.serial,
    });
  });

  it('refuses a revoked signing certificate with its reason, whether OCSP or only the CRL knows it', async () => {
    const signed = await sign();
    pki.revoke(citizen.serial, 'affiliationChanged');
    expect(await verifySignedDocument(DOCUMENT, signed, await check())).toMatchObject({
      ok: false,
      reason: 'CERTIFICATE_REVOKED',
      revocationReason: 'affiliationChanged',
      revocationReasonCode: 3,
      statusSource: 'ocsp',
    });
    const crlKnowsIt = await check();
    pki.statuses.clear(); // OCSP now says good; the CRL issued before still lists it
    expect(await verifySignedDocument(DOCUMENT, signed, crlKnowsIt)).toMatchObject({ ok: false, reason: 'CERTIFICATE_REVOKED', revocationReason: 'affiliationChanged', statusSource: 'crl' });
  });

  it('OnlineHolderVerifier: the digital-signature CA from the directory, its CRL kept for signingCrlMaxAgeMs, OCSP on every call; fails closed without the CA', async () => {
    const directory: CaDirectory = {
      trustAnchors: jest.fn(async () => pki.trust),
      ocsp: jest.fn((der: Buffer) => pki.ocsp(der)),
      crl: jest.fn(async (ca, kind) => (kind === 'delta' ? Promise.reject(new Error('no delta')) : ca === 'root' ? pki.rootCrl() : pki.signingCrl())),
    };
    const verifier = new OnlineHolderVerifier(directory, { signingCrlMaxAgeMs: 60_000 });
    const signed = await sign();
    for (let i = 0; i < 2; i++) expect(await verifier.verifySignedDocument(DOCUMENT, signed, pki.now)).toEqual(expect.objectContaining({ ok: true, signer: expect.objectContaining({ serial: citizen.serial }) }));
    expect(directory.ocsp).toHaveBeenCalledTimes(2);
    expect((directory.crl as jest.Mock).mock.calls.filter(([ca, kind]) => ca === 'digital-signature' && kind === 'complete')).toHaveLength(1);

    const withoutSigningCa = new OnlineHolderVerifier({ ...directory, trustAnchors: async () => ({ root: pki.root.certificate, userAuthentication: pki.userAuthentication.certificate }) });
    expect(await withoutSigningCa.verifySignedDocument(DOCUMENT, signed, pki.now)).toMatchObject({ ok: false, reason: 'STATUS_UNAVAILABLE' });
  });
});
