import type { CaDirectory, JpkiCaName, JpkiTrust } from '@jpki/relying-party';

/** Largest complete or delta CRL a relying party reads by default (a CRL entry is about 40 bytes: ~800,000 entries). */
export const DEFAULT_MAX_CRL_BYTES = 32 * 1024 * 1024;
/** Certificates and single-certificate OCSP answers are a few KiB; the CA refuses OCSP requests over 64 KiB too. */
const MAX_SMALL_ANSWER_BYTES = 64 * 1024;

/** The CA (or whatever answers at its URL) sent more than the relying party reads; the rest was not downloaded. */
export class CaAnswerTooLargeError extends Error {
  readonly reason = 'CA_ANSWER_TOO_LARGE';
  constructor(what: string, maxBytes: number) {
    super(`CA_ANSWER_TOO_LARGE: ${what} exceeds ${maxBytes} bytes; not read further`);
    this.name = 'CaAnswerTooLargeError';
  }
}

/**
 * A relying party's view of the (simulated) J-LIS over HTTP: trust anchors (`/ca/<name>.der`), the OCSP
 * responder (`POST /ocsp`) and the CRL distribution points (`/crl/<ca>.crl`, `/crl/<ca>-delta.crl`).
 * Every call has a timeout, so a hanging responder becomes STATUS_UNAVAILABLE instead of a hanging login, and a byte
 * cap, so an endless or huge answer costs at most the cap in memory.
 * The URL is configured, never taken from a presented certificate's AIA (no request forgery by certificate).
 */
export class JpkiCaDirectory implements CaDirectory {
  constructor(
    readonly caUrl: string,
    private readonly timeoutMs = 5_000,
    private readonly maxCrlBytes = DEFAULT_MAX_CRL_BYTES,
  ) {}

  /** The root and both issuing CAs: user authentication (logins) and digital signature (signed documents). */
  async trustAnchors(): Promise<JpkiTrust> {
    const [root, userAuthentication, digitalSignature] = await Promise.all([
      this.get('/ca/root.der', MAX_SMALL_ANSWER_BYTES),
      this.get('/ca/user-authentication.der', MAX_SMALL_ANSWER_BYTES),
      this.get('/ca/digital-signature.der', MAX_SMALL_ANSWER_BYTES),
    ]);
    return { root, userAuthentication, digitalSignature };
  }

  async ocsp(requestDer: Buffer): Promise<Buffer> {
    const url = `${this.caUrl}/ocsp`;
    const res = await fetch(url, {
      method: 'POST',
      body: requestDer,
      headers: { 'content-type': 'application/ocsp-request' },
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (!res.ok) throw new Error(`POST ${url}: HTTP ${res.status}`);
    return boundedBody(res, MAX_SMALL_ANSWER_BYTES, `the OCSP answer from ${url}`);
  }

  crl(ca: JpkiCaName, kind: 'complete' | 'delta'): Promise<Buffer> {
    return this.get(`/crl/${ca}${kind === 'delta' ? '-delta' : ''}.crl`, this.maxCrlBytes);
  }

  private async get(path: string, maxBytes: number): Promise<Buffer> {
    const url = this.caUrl + path;
    const res = await fetch(url, { signal: AbortSignal.timeout(this.timeoutMs) });
    if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
    return boundedBody(res, maxBytes, url);
  }
}

/** The body, refused as soon as its declared length or the bytes received pass `maxBytes` (the download is cancelled). */
async function boundedBody(res: Response, maxBytes: number, what: string): Promise<Buffer> {
  if (Number(res.headers.get('content-length')) > maxBytes) {
    await res.body?.cancel();
    throw new CaAnswerTooLargeError(what, maxBytes);
  }
  const chunks: Uint8Array[] = [];
  let received = 0;
  const reader = res.body?.getReader();
  while (reader) {
    const { done, value } = await reader.read();
    if (done) break;
    received += value.byteLength;
    if (received > maxBytes) {
      await reader.cancel();
      throw new CaAnswerTooLargeError(what, maxBytes);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}
