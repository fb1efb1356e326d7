import type { Clock } from '@jpki/service-kit';
import type { CaConfig } from '../config';
import type { CertificateAuthority } from '../signer/certificate-authority';
import type { CaStore } from '../storage/ca-store';
import type { CaUrls } from '../urls';
import type { CaEvents } from './ca-events';
import { CrlPublisher } from './crl-publisher';

/** The debounce between complete CRLs: the configured one, or four times the last CRL's signing time when longer. */
describe('CrlPublisher debounce', () => {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  function publisher(signingMs: number) {
    const published: number[] = [];
    const store = {
      withCrlLock: (_ca: string, work: (m: unknown) => Promise<unknown>) => work({}),
      lastStatusChangeId: async () => published.length + 1,
      latestCrl: async () => undefined,
      nextCrlNumber: async () => BigInt(published.length * 2 + 1),
      notGoodEntries: async () => [],
      insertCrl: async () => undefined,
      changedSince: async () => [],
    } as unknown as CaStore;
    const ca = {
      issueCrl: async (_ca: string, request: { baseCrlNumber?: bigint }) => {
        if (request.baseCrlNumber === undefined) {
          published.push(Date.now());
          await sleep(signingMs);
        }
        return Buffer.from('crl');
      },
    } as unknown as CertificateAuthority;
    const urls = { deltaCrl: () => 'http://crl.example/delta.crl' } as unknown as CaUrls;
    const clock = { now: () => new Date() } as Clock;
    const config = { CRL_DEBOUNCE_MS: 20, CRL_VALIDITY_SECONDS: 86_400, CRL_REFRESH_SECONDS: 3600 } as CaConfig;
    return { crls: new CrlPublisher(store, ca, clock, urls, {} as CaEvents, config), published };
  }

  /** When the CRL after `changed` was signed, in ms after it (polled; timers may fire late on a loaded machine). */
  async function delayAfterChange(p: ReturnType<typeof publisher>): Promise<number> {
    const changedAt = Date.now();
    p.crls.changed('user-authentication');
    while (p.published.length < 2 && Date.now() - changedAt < 5_000) await sleep(10);
    return p.published[1] - changedAt;
  }

  it('waits the configured debounce after a quick CRL, and four times the signing time after a slow one', async () => {
    const quick = publisher(1);
    await quick.crls.publishIfDue('user-authentication');
    expect(await delayAfterChange(quick)).toBeLessThan(300);

    const slow = publisher(100);
    await slow.crls.publishIfDue('user-authentication');
    expect(await delayAfterChange(slow)).toBeGreaterThanOrEqual(395);
    await Promise.all([quick.crls.beforeApplicationShutdown(), slow.crls.beforeApplicationShutdown()]);
  });
});
