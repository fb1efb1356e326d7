import { metricsRegistry } from '@jpki/observability';
import type { Clock } from '@jpki/service-kit';
import type { CaConfig } from '../config';
import type { CertificateAuthority } from '../signer/certificate-authority';
import type { CaStore } from '../storage/ca-store';
import type { CaEvents } from './ca-events';
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
