import type { CaDirectory, JpkiCaName, JpkiTrust } from '@jpki/relying-party';

/**
 * A relying party's view of the (simulated) J-LIS over HTTP: trust anchors (`/ca/<name>.der`), the OCSP
 * responder (`POST /ocsp`) and the CRL distribution points (`/crl/<ca>.crl`, `/crl/<ca>-delta.crl`).
 * Every call has a timeout, so a hanging responder becomes STATUS_UNAVAILABLE instead of a hanging login.
 * The URL is configured, never taken from a presented certificate's AIA (no request forgery by certificate).
 */
export class JpkiCaDirectory implements CaDirectory {
  constructor(
    readonly caUrl: string,
    private readonly timeoutMs = 5_000,
  ) {}

  /** The root and both issuing CAs: user authentication (logins) and digital signature (signed documents). */
  async trustAnchors(): Promise<JpkiTrust> {
    const [root, userAuthentication, digitalSignature] = await Promise.all([
      this.get('/ca/root.der'),
      this.get('/ca/user-authentication.der'),
      this.get('/ca/digital-signature.der'),
    ]);
    return { root, userAuthentication, digitalSignature };
  }

  async ocsp(requestDer: Buffer): Promise<Buffer> {
    const res = await fetch(`${this.caUrl}/ocsp`, {
      method: 'POST',
      body: requestDer,
      headers: { 'content-type': 'application/ocsp-request' },
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (!res.ok) throw new Error(`POST ${this.caUrl}/ocsp: HTTP ${res.status}`);
    return Buffer.from(await res.arrayBuffer());
  }

  crl(ca: JpkiCaName, kind: 'complete' | 'delta'): Promise<Buffer> {
    return this.get(`/crl/${ca}${kind === 'delta' ? '-delta' : ''}.crl`);
  }

  private async get(path: string): Promise<Buffer> {
    const res = await fetch(this.caUrl + path, { signal: AbortSignal.timeout(this.timeoutMs) });
    if (!res.ok) throw new Error(`GET ${this.caUrl}${path}: HTTP ${res.status}`);
    return Buffer.from(await res.arrayBuffer());
  }
}
