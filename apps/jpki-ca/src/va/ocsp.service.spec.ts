import { metricsRegistry } from '@jpki/observability';
import type { Clock } from '@jpki/service-kit';
import type { CaConfig } from '../config';
import type { CertificateAuthority } from '../signer/certificate-authority';
import type { CaStore } from '../storage/ca-store';
import type { CaEvents } from './ca-events';
import type { OcspEntry } from '../storage/types';
import { OcspService } from './ocsp.service';

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
