import { crlFreshness, synchroniseCrl, type CrlDownloads, type CrlSnapshot } from './crl-snapshot';
import type { HolderRefusal, SignedDocumentRefusal } from './refusals';
import { verifySignedDocument, type SignedDocumentCheck, type SignedDocumentVerification } from './signed-document';
import { ConcurringStatusSource, CrlStatusSource, OcspStatusSource, type StatusSource } from './status-sources';
import { checkHolderCertificate, checkTrust, verifyHolder, type HolderVerification, type JpkiTrust, type StatusCheck } from './verifier';

export type JpkiCaName = 'root' | 'user-authentication' | 'digital-signature';

/**
 * What a relying party needs from J-LIS (here: the simulated jpki-ca), as a port: the trust anchors,
 * the OCSP responder and the CRL distribution points. The HTTP implementation is
 * `JpkiCaDirectory` in `@jpki/jpki-client`.
 */
export interface CaDirectory {
  /** The anchors; a relying party that verifies signed documents needs `digitalSignature` among them. */
  trustAnchors(): Promise<JpkiTrust>;
  ocsp(requestDer: Buffer): Promise<Buffer>;
  crl(ca: JpkiCaName, kind: 'complete' | 'delta'): Promise<Buffer>;
}

export interface OnlineVerifierOptions {
  /** SHA-256 of the JPKI root certificate (hex); when set, anchors that do not match are refused. */
  readonly rootSha256?: string;
  /** The root CRL (status of the user-authentication CA) is re-fetched when older than this; default 5 min. */
  readonly rootCrlMaxAgeMs?: number;
  /** Signed documents: the digital-signature CA's CRL (+ delta) is re-synchronised when older than this; default 1 min. */
  readonly signingCrlMaxAgeMs?: number;
  readonly ocspClockSkewMs?: number;
}

/** One CA's CRL in memory: synchronised (the delta alone when it applies) when older than `maxAgeMs` or past its nextUpdate, one download at a time. */
class CrlCache {
  private snapshot?: CrlSnapshot;
  private refresh?: Promise<CrlSnapshot>;

  constructor(
    private readonly downloads: CrlDownloads,
    readonly maxAgeMs: number,
  ) {}

  async current(issuerCertificate: Buffer, at: Date): Promise<CrlSnapshot> {
    const cached = this.snapshot?.issuerCertificate.equals(issuerCertificate) ? this.snapshot : undefined;
    if (cached && crlFreshness(cached, at, this.maxAgeMs).fresh) return cached;
    this.refresh ??= synchroniseCrl(cached, issuerCertificate, this.downloads, at)
      .then(({ snapshot }) => (this.snapshot = snapshot))
      .finally(() => (this.refresh = undefined));
    return this.refresh;
  }
}

/**
 * An online relying party's verifier: trust anchors loaded once (and checked), the holder's status by
 * OCSP for every verification, the issuing CA's status from a root CRL kept fresh in memory. A signed document's
 * signer is checked by OCSP and by the digital-signature CA's CRL, also kept fresh in memory.
 */
export class OnlineHolderVerifier {
  private trustPromise?: Promise<JpkiTrust>;
  readonly ocsp: OcspStatusSource;
  private readonly rootCrls: CrlCache;
  private readonly signingCrls: CrlCache;

  constructor(
    private readonly directory: CaDirectory,
    private readonly options: OnlineVerifierOptions = {},
  ) {
    this.ocsp = new OcspStatusSource((der) => directory.ocsp(der), { clockSkewMs: options.ocspClockSkewMs });
    // The root publishes no delta CRL.
    this.rootCrls = new CrlCache({ complete: () => directory.crl('root', 'complete'), delta: async () => undefined }, options.rootCrlMaxAgeMs ?? 300_000);
    this.signingCrls = new CrlCache(
      { complete: () => directory.crl('digital-signature', 'complete'), delta: () => directory.crl('digital-signature', 'delta') },
      options.signingCrlMaxAgeMs ?? 60_000,
    );
  }

  /** The checked trust anchors (fetched once; a failed fetch is retried on the next call). */
  trust(at = new Date()): Promise<JpkiTrust> {
    if (!this.trustPromise) {
      this.trustPromise = this.directory.trustAnchors().then(async (trust) => {
        await checkTrust(trust, at, this.options.rootSha256);
        return trust;
      });
      this.trustPromise.catch(() => (this.trustPromise = undefined));
    }
    return this.trustPromise;
  }

  /** The root CRL, re-fetched when older than `rootCrlMaxAgeMs` or past its nextUpdate (one fetch at a time). */
  async rootCrl(at: Date): Promise<CrlSnapshot> {
    return this.rootCrls.current((await this.trust(at)).root, at);
  }

  /** A status source for the issuing CA (root CRL); usable offline with a snapshot obtained earlier. */
  caStatusSource(snapshot: CrlSnapshot): StatusSource {
    return new CrlStatusSource(() => snapshot, Number.MAX_SAFE_INTEGER);
  }

  async statusCheck(at: Date, holderStatus: StatusSource = this.ocsp): Promise<StatusCheck | HolderRefusal> {
    try {
      const trust = await this.trust(at);
      const root = await this.rootCrl(at);
      return { trust, holderStatus, caStatus: this.caStatusSource(root), at };
    } catch (error) {
      return { ok: false, reason: 'STATUS_UNAVAILABLE', detail: `JPKI trust or root CRL unavailable: ${(error as Error).message}` };
    }
  }

  /** Signature over the challenge + chain + OCSP. */
  async verify(challenge: Buffer, signature: Buffer, certificate: Buffer, at: Date, holderStatus?: StatusSource): Promise<HolderVerification> {
    const check = await this.statusCheck(at, holderStatus);
    if ('ok' in check) return check;
    return verifyHolder({ ...check, challenge, signature, certificate });
  }

  /**
   * A document signed with a JPKI signing key (verifySignedDocument): the signer's status by OCSP and by the
   * digital-signature CA's CRL, both of which must say good.
   */
  async verifySignedDocument(document: Buffer, signedData: Buffer, at: Date): Promise<SignedDocumentVerification> {
    const check = await this.signedDocumentCheck(at);
    if ('ok' in check) return check;
    return verifySignedDocument(document, signedData, check);
  }

  private async signedDocumentCheck(at: Date): Promise<SignedDocumentCheck | SignedDocumentRefusal> {
    try {
      const { root, userAuthentication, digitalSignature } = await this.trust(at);
      if (!digitalSignature) throw new Error('the CA directory gave no digital-signature CA');
      const [rootCrl, signingCrl] = await Promise.all([this.rootCrl(at), this.signingCrls.current(digitalSignature, at)]);
      const crl = new CrlStatusSource(() => signingCrl, this.signingCrls.maxAgeMs);
      return { trust: { root, userAuthentication, digitalSignature }, holderStatus: new ConcurringStatusSource([this.ocsp, crl]), caStatus: this.caStatusSource(rootCrl), at };
    } catch (error) {
      return { ok: false, reason: 'STATUS_UNAVAILABLE', detail: `JPKI trust or CRLs unavailable: ${(error as Error).message}` };
    }
  }

  /** Chain + OCSP again for a certificate verified earlier (sessions). */
  async recheck(certificate: Buffer, at: Date): Promise<HolderVerification> {
    const check = await this.statusCheck(at);
    if ('ok' in check) return check;
    return checkHolderCertificate(certificate, check);
  }
}
