import { RsaKeyPool } from './rsa-key-pool';

const spki = (pair: { publicKey: import('node:crypto').KeyObject }) => pair.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');

describe('RsaKeyPool', () => {
  jest.setTimeout(60_000);

  it('keeps `size` RSA-2048 pairs ready, hands each out once, and refills after a take', async () => {
    const generated: number[] = [];
    const pool = new RsaKeyPool({ size: 2, onGenerated: (s) => generated.push(s) });
    pool.start();
    await pool.filled();
    expect(pool.ready).toBe(2);
    expect(generated).toHaveLength(2);

    const first = pool.takeNow();
    const second = await pool.take();
    expect(first.privateKey.asymmetricKeyDetails).toMatchObject({ modulusLength: 2048, publicExponent: 65537n });
    expect(spki(first)).not.toBe(spki(second));
    await pool.filled();
    expect(pool.ready).toBe(2);
    expect(generated).toHaveLength(4);
    const rest = [pool.takeNow(), pool.takeNow()].map(spki);
    expect(new Set([spki(first), spki(second), ...rest]).size).toBe(4);
    pool.stop();
  });

  it('generates on demand when empty (timed like any generation), and a stopped pool does not refill', async () => {
    const generated: number[] = [];
    const pool = new RsaKeyPool({ size: 1, modulusLength: 1024, onGenerated: (s) => generated.push(s) });
    expect(pool.ready).toBe(0);
    const inline = pool.takeNow();
    expect(inline.privateKey.asymmetricKeyDetails?.modulusLength).toBe(1024);
    expect(generated).toHaveLength(1);

    pool.start();
    await pool.filled();
    expect(pool.ready).toBe(1);
    pool.stop();
    const pooled = pool.takeNow();
    const onDemand = await pool.take();
    await pool.filled();
    expect(pool.ready).toBe(0);
    expect(generated).toHaveLength(3);
    expect(new Set([inline, pooled, onDemand].map(spki)).size).toBe(3);
  });
});
