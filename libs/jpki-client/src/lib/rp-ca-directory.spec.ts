import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CaAnswerTooLargeError, JpkiCaDirectory } from './rp-ca-directory';

const MIB = 1024 * 1024;
const CHUNK = Buffer.alloc(64 * 1024, 0x30);

/** What answers at the relying party's CA URL: a responder that sends more than any CRL, certificate or OCSP answer. */
class HostileCa {
  /** Bytes of the endless body the server wrote. */
  endlessBytes = 0;
  /** Routes whose connection the client closed. */
  readonly closed = new Set<string>();
  private server!: Server;

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const route = req.url ?? '';
      res.on('close', () => this.closed.add(route));
      if (route === '/crl/root.crl') return this.declared(res, 100 * MIB);
      if (route === '/crl/user-authentication.crl') return this.endless(res);
      if (route === '/crl/digital-signature.crl') return void res.end(Buffer.alloc(MIB, 0x31));
      if (route === '/ocsp' || route.startsWith('/ca/')) return void res.end(Buffer.alloc(MIB, 0x32));
      res.statusCode = 404;
      res.end();
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** Claims a huge body, sends 1 MiB of it and then stalls. */
  private declared(res: ServerResponse, length: number): void {
    res.writeHead(200, { 'content-length': String(length) });
    res.write(Buffer.alloc(MIB));
  }

  /** A chunked body without end, as fast as the client reads it. */
  private endless(res: ServerResponse): void {
    const pump = () => {
      while (!res.destroyed) {
        this.endlessBytes += CHUNK.length;
        if (!res.write(CHUNK)) return void res.once('drain', pump);
      }
    };
    res.writeHead(200, { 'content-type': 'application/pkix-crl' });
    pump();
  }
}

describe('JpkiCaDirectory: what a relying party reads from the CA is bounded', () => {
  const ca = new HostileCa();
  let directory: JpkiCaDirectory;

  beforeAll(async () => {
    directory = new JpkiCaDirectory(await ca.start(), 5_000, MIB);
  });
  afterAll(() => ca.stop());

  it('ATK-56: a CRL declared at 100 MiB is refused from its header, the download cancelled (CA_ANSWER_TOO_LARGE)', async () => {
    const started = Date.now();
    await expect(directory.crl('root', 'complete')).rejects.toThrow(/^CA_ANSWER_TOO_LARGE: .*\/crl\/root\.crl exceeds 1048576 bytes/);
    expect(Date.now() - started).toBeLessThan(4_000); // not the timeout: refused at once
    await waitFor(() => ca.closed.has('/crl/root.crl'));
  });

  it('ATK-56: an endless CRL stream is cut off at the cap: the client stops reading and closes the connection', async () => {
    await expect(directory.crl('user-authentication', 'complete')).rejects.toBeInstanceOf(CaAnswerTooLargeError);
    await waitFor(() => ca.closed.has('/crl/user-authentication.crl'));
    // What reached the socket: the cap plus what the kernel and the HTTP client buffer, never the endless rest.
    expect(ca.endlessBytes).toBeGreaterThan(MIB);
    expect(ca.endlessBytes).toBeLessThan(16 * MIB);
  });

  it('ATK-56: a 1 MiB OCSP answer or trust anchor is refused (64 KiB cap)', async () => {
    await expect(directory.ocsp(Buffer.from([0x30, 0x00]))).rejects.toThrow(/^CA_ANSWER_TOO_LARGE: the OCSP answer from .*\/ocsp exceeds 65536 bytes/);
    await expect(directory.trustAnchors()).rejects.toThrow(/^CA_ANSWER_TOO_LARGE: .*\/ca\/.*\.der exceeds 65536 bytes/);
  });

  it('reads an answer of exactly the cap as before', async () => {
    const crl = await directory.crl('digital-signature', 'complete');
    expect(crl.length).toBe(MIB);
    expect(crl.every((byte) => byte === 0x31)).toBe(true);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
