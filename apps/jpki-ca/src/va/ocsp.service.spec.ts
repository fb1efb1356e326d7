import { parseOcspRequest, respondToOcspRequest } from '@jpki/pki';
import { metricsRegistry } from '@jpki/observability';
import type { Clock } from '@jpki/service-kit';
import type { CaConfig } from '../config';
import type { CertificateAuthority } from '../signer/certificate-authority';
import type { CaStore } from '../storage/ca-store';
import type { CaEvents } from './ca-events';
import type { OcspEntry } from '../storage/types';
import { OcspService } from './ocsp.service';

// Request parsing and signing are the pki library's (tested there); here only which answers are signed and shared.
jest.mock('@jpki/pki', () => {
  const actual = jest.requireActual('@jpki/pki');
  return { ...actual, parseOcspRequest: jest.fn(actual.parseOcspRequest), respondToOcspRequest: jest.fn(), certIdMatchesIssuer: () => true };
});

/** The latency histogram the deploy alert OcspSlow reads (the answers themselves are covered by the integration tests). */
describe('OcspService metrics', () => {
  const exposition = () => metricsRegistry.getSingleMetricAsString('ca_ocsp_response_seconds');
  const observations = async (kind: string): Promise<number> => {
    const match = new RegExp(`^ca_ocsp_response_seconds_count\\{[^}]*kind="${kind}"[^}]*\\} (\\d+)$`, 'm').exec(await exposition());
    return match ? Number(match[1]) : 0;
  };

  it('times every answer by kind in ca_ocsp_response_seconds', async () => {
    const service = new OcspService({} as CaStore, {} as CertificateAuthority, {} as Clock, {} as CaEvents, { OCSP_MAX_CERT_IDS: 10 } as CaConfig);
    const before = await observations('malformed');
    const response = await service.respond(Buffer.from('not an OCSP request'));
    // OCSPResponse { responseStatus malformedRequest (1) }
    expect(response.equals(Buffer.from([0x30, 0x03, 0x0a, 0x01, 0x01]))).toBe(true);
    expect(await observations('malformed')).toBe(before + 1);
    expect(await exposition()).toMatch(/^ca_ocsp_response_seconds_bucket\{le="0.5",[^}]*kind="malformed"[^}]*\} 1$/m);
  });
});

/** The status cache: a row read while its own serial changed is not kept; changes of other serials do not matter. */
describe('OcspService status cache', () => {
  const entry = (serial: string) => ({ serial }) as unknown as OcspEntry;

  function service() {
    let statusListener: (ca: string, serial: string) => void = () => undefined;
    const reads: { serials: readonly string[]; release: () => void }[] = [];
    const store = {
      ocspEntries: (serials: readonly string[]) =>
        new Promise<Map<string, OcspEntry>>((resolve) => reads.push({ serials, release: () => resolve(new Map(serials.map((s) => [s, entry(s)]))) })),
    } as unknown as CaStore;
    const events = { listening: true, onStatus: (l: typeof statusListener) => (statusListener = l), onReset: () => undefined } as unknown as CaEvents;
    const ocsp = new OcspService(store, {} as CertificateAuthority, {} as Clock, events, { OCSP_MAX_CERT_IDS: 10 } as CaConfig);
    ocsp.onModuleInit();
    const entries = (serials: string[]) => (ocsp as unknown as { entries(s: string[]): Promise<Map<string, OcspEntry>> }).entries(serials);
    return { entries, reads, changed: (serial: string) => statusListener('user-authentication', serial) };
  }

  it('keeps a row when only another serial changed during the read, and reads again one whose serial changed', async () => {
    const { entries, reads, changed } = service();
    const first = entries(['01', '02']);
    changed('03');
    changed('02');
    reads[0].release();
    await first;
    const second = entries(['01', '02']);
    expect(reads[1].serials).toEqual(['02']); // 01 came from the cache; 02 changed while it was read
    reads[1].release();
    await second;
    await entries(['01', '02']);
    expect(reads).toHaveLength(2);
  });
});

/** A burst of requests for a certificate whose pre-signed answer is not ready costs one signature, shared until the status changes. */
describe('OcspService live answers to nonce-less requests', () => {
  const certId = { serialNumber: '0a', raw: Buffer.from('certid-0a') };
  let statusVersion = 7;
  let statusListener: (ca: string, serial: string) => void = () => undefined;
  const parse = parseOcspRequest as jest.Mock;
  const sign = respondToOcspRequest as jest.Mock;

  function service(): OcspService {
    const store = { ocspEntries: async (serials: readonly string[]) => new Map(serials.map((s) => [s, { serial: s, issuerCa: 'user-authentication', statusVersion } as OcspEntry])) } as unknown as CaStore;
    const events = { listening: false, onStatus: (l: typeof statusListener) => (statusListener = l), onReset: () => undefined } as unknown as CaEvents;
    const ca = { certificate: () => Buffer.from('ca'), ocspAuthorities: async () => [] } as unknown as CertificateAuthority;
    const clock = { now: () => new Date() } as Clock;
    const ocsp = new OcspService(store, ca, clock, events, { OCSP_MAX_CERT_IDS: 10, OCSP_RESPONSE_VALIDITY_SECONDS: 3600 } as CaConfig);
    ocsp.onModuleInit();
    return ocsp;
  }

  beforeEach(() => {
    sign.mockReset();
    let n = 0;
    sign.mockImplementation(async () => Buffer.from(`signed-${++n}`));
    parse.mockReturnValue({ requests: [{ certId }] });
  });

  it('signs once for a burst, shares that answer, and signs again after the status changes', async () => {
    const ocsp = service();
    const burst = await Promise.all([1, 2, 3, 4].map(() => ocsp.respond(Buffer.from('request'))));
    expect(burst.map(String)).toEqual(['signed-1', 'signed-1', 'signed-1', 'signed-1']);
    expect(sign).toHaveBeenCalledTimes(1);

    statusVersion = 8;
    statusListener('user-authentication', '0a');
    expect(String(await ocsp.respond(Buffer.from('request')))).toBe('signed-2');
    expect(String(await ocsp.respond(Buffer.from('request')))).toBe('signed-2');
    expect(sign).toHaveBeenCalledTimes(2);
  });

  it('never shares an answer to a request with a nonce, nor one for another CertID of the same serial', async () => {
    const ocsp = service();
    parse.mockReturnValue({ requests: [{ certId }], nonce: Buffer.from('nonce') });
    await ocsp.respond(Buffer.from('request with nonce'));
    await ocsp.respond(Buffer.from('request with nonce'));
    expect(sign).toHaveBeenCalledTimes(2);
    parse.mockReturnValue({ requests: [{ certId }] });
    await ocsp.respond(Buffer.from('request'));
    parse.mockReturnValue({ requests: [{ certId: { ...certId, raw: Buffer.from('sha256-certid-0a') } }] });
    expect(String(await ocsp.respond(Buffer.from('sha-256 request')))).toBe('signed-4');
    expect(sign).toHaveBeenCalledTimes(4);
  });

  it('signs again when the shared signature failed', async () => {
    const ocsp = service();
    sign.mockRejectedValueOnce(new Error('HSM busy'));
    await expect(ocsp.respond(Buffer.from('request'))).rejects.toThrow('HSM busy');
    await ocsp.respond(Buffer.from('request'));
    expect(sign).toHaveBeenCalledTimes(2);
  });
});
