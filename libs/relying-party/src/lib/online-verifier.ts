import { buildCrlSnapshot, type CrlSnapshot } from './crl-snapshot';
import type { HolderRefusal } from './refusals';
import { CrlStatusSource, OcspStatusSource, type StatusSource } from './status-sources';
import { checkHolderCertificate, checkTrust, verifyHolder, type HolderVerification, type JpkiTrust, type StatusCheck } from './verifier';

export type JpkiCaName = 'root' | 'user-authentication';

/**
 * What a relying party needs from J-LIS (here: the simulated jpki-ca), as a port: the trust anchors,
 * the OCSP responder and the CRL distribution points. The HTTP implementation is
 * `JpkiCaDirectory` in `@jpki/jpki-client`.
 */
export interface CaDirectory {
  trustAnchors(): Promise<JpkiTrust>;
  ocsp(requestDer: Buffer): Promise<Buffer>;
  crl(ca: JpkiCaName, kind: 'complete' | 'delta'): Promise<Buffer>;
}

export interface OnlineVerifierOptions {
  /** SHA-256 of the JPKI root certificate (hex); when set, anchors that do not match are refused. */
  readonly rootSha256?: string;
  /** The root CRL (status of the user-authentication CA) is re-fetched when older than this; default 5 min. */
  readonly rootCrlMaxAgeMs?: number;
  readonly ocspClockSkewMs?: number;
}

/**
 * An online relying party's verifier: trust anchors loaded once (and checked), the holder's status by
 * OCSP for every verification, the issuing CA's status from a root CRL kept fresh in memory.
 */
export class OnlineHolderVerifier {
  private trustPromise?: Promise<JpkiTrust>;
  private rootSnapshot?: CrlSnapshot;
  private rootRefresh?: Promise<CrlSnapshot>;
  readonly ocsp: OcspStatusSource;
  private readonly rootCrlMaxAgeMs: number;

  constructor(
    private readonly directory: CaDirectory,
    private readonly options: OnlineVerifierOptions = {},
  ) {
    this.ocsp = new OcspStatusSource((der) => directory.ocsp(der), { clockSkewMs: options.ocspClockSkewMs });
    this.rootCrlMaxAgeMs = options.rootCrlMaxAgeMs ?? 300_000;
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
    const current = this.rootSnapshot;
    const fresh = current && at.getTime() - current.fetchedAt.getTime() <= this.rootCrlMaxAgeMs && (!current.nextUpdate || at <= current.nextUpdate);
    if (current && fresh) return current;
    if (!this.rootRefresh) {
      this.rootRefresh = (async () => {
        const trust = await this.trust(at);
        const snapshot = buildCrlSnapshot({ issuerCertificate: trust.root, complete: await this.directory.crl('root', 'complete'), fetchedAt: at });
        this.rootSnapshot = snapshot;
        return snapshot;
      })().finally(() => (this.rootRefresh = undefined));
    }
    return this.rootRefresh;
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

  /** Chain + OCSP again for a certificate verified earlier (sessions). */
  async recheck(certificate: Buffer, at: Date): Promise<HolderVerification> {
    const check = await this.statusCheck(at);
    if ('ok' in check) return check;
    return checkHolderCertificate(certificate, check);
  }
}
