import { CARRIER_PROFILES } from '@jpki/contracts';
import { bearerProfiles, ESE_PUSH_PROFILE, OtaBearer, parseBearerSpec, randomLossDraw, seededLossDraw } from './ota-bearer';

describe('OTA bearer configuration', () => {
  it('parses per-bearer latency and loss, and keeps the carrier and eSE push-channel defaults for the rest', () => {
    const overrides = parseBearerSpec(' docomo:latency=40,loss=0.05 ; kddi:latency=0 ;softbank:loss=1; ese:loss=0.2');
    expect(overrides).toEqual({ docomo: { latencyMs: 40, lossRate: 0.05 }, kddi: { latencyMs: 0 }, softbank: { lossRate: 1 }, ese: { lossRate: 0.2 } });
    const profiles = bearerProfiles(overrides);
    expect(profiles.kddi).toEqual({ latencyMs: 0, lossRate: CARRIER_PROFILES.kddi.ota.lossRate });
    expect(profiles.softbank).toEqual({ latencyMs: CARRIER_PROFILES.softbank.ota.latencyMs, lossRate: 1 });
    expect(profiles.ese).toEqual({ latencyMs: ESE_PUSH_PROFILE.latencyMs, lossRate: 0.2 });
    expect(bearerProfiles()).toEqual({
      docomo: CARRIER_PROFILES.docomo.ota,
      kddi: CARRIER_PROFILES.kddi.ota,
      softbank: CARRIER_PROFILES.softbank.ota,
      ese: { latencyMs: 80, lossRate: 0 },
    });
  });

  it.each([
    ['rakuten:latency=1', /unknown bearer/],
    ['docomo:latency=-1', /latency/],
    ['docomo:latency=1.5', /latency/],
    ['docomo:loss=2', /loss/],
    ['docomo:loss=', /loss/],
    ['docomo:jitter=3', /unknown setting/],
  ])('refuses %s', (spec, message) => {
    expect(() => parseBearerSpec(spec)).toThrow(message);
  });
});

describe('OTA bearer behaviour', () => {
  it('draws deterministically from the seed, direction and message id, uniformly enough', () => {
    const draw = seededLossDraw('seed-1');
    expect(draw('downlink', 'm1')).toBe(seededLossDraw('seed-1')('downlink', 'm1'));
    expect(draw('downlink', 'm1')).not.toBe(draw('uplink', 'm1'));
    expect(draw('downlink', 'm1')).not.toBe(seededLossDraw('seed-2')('downlink', 'm1'));
    const values = Array.from({ length: 2000 }, (_, i) => draw('uplink', `m${i}`));
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThan(1);
    const below = values.filter((v) => v < 0.25).length / values.length;
    expect(below).toBeGreaterThan(0.2);
    expect(below).toBeLessThan(0.3);
  });

  it('draws at random in [0, 1) when not seeded', () => {
    const values = Array.from({ length: 1000 }, (_, i) => randomLossDraw('downlink', `m${i}`));
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThan(1);
    expect(new Set(values).size).toBe(values.length);
  });

  it('never loses at rate 0, always at rate 1, and sleeps the carrier latency per transit', async () => {
    const slept: number[] = [];
    const bearer = new OtaBearer(
      { docomo: { latencyMs: 40, lossRate: 0 }, kddi: { latencyMs: 60, lossRate: 1 }, softbank: { latencyMs: 0, lossRate: 0.5 }, ese: { latencyMs: 80, lossRate: 0 } },
      () => 0.999999,
      async (ms) => {
        slept.push(ms);
      },
    );
    expect(bearer.lost('docomo', 'downlink', 'x')).toBe(false);
    expect(bearer.lost('kddi', 'uplink', 'x')).toBe(true);
    expect(bearer.lost('softbank', 'uplink', 'x')).toBe(false);
    await bearer.transit('docomo');
    await bearer.transit('kddi');
    await bearer.transit('ese');
    expect(slept).toEqual([40, 60, 80]);
  });
});
