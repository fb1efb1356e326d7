import { ConfigError } from '@jpki/service-kit';
import { loadVsimConfig } from './config';

const required = { KEY_ENCRYPTION_KEYS: `k1:${Buffer.alloc(32, 7).toString('base64')}`, SERVICE_TRANSPORT_KEY: 'x'.repeat(40) };

describe('vsim configuration', () => {
  it('has local defaults for everything but secrets', () => {
    const config = loadVsimConfig({ ...required });
    expect(config.HTTP_PORT).toBe(7400);
    expect(config.DB_SCHEMA).toBe('vsim');
    expect(config.OTA_BEARER).toEqual({});
    expect(config.HANDSET_ALLOWED_AIDS).toEqual([
      { aid: 'D392F000260100000101', prefix: false },
      { aid: 'D392F000260100000102', prefix: false },
    ]);
    expect(() => loadVsimConfig({})).toThrow(/KEY_ENCRYPTION_KEYS/);
    expect(() => loadVsimConfig({})).toThrow(/SERVICE_TRANSPORT_KEY/);
  });

  it('names the variable of a bad bearer or access-rule setting', () => {
    expect(loadVsimConfig({ ...required, OTA_BEARER: 'kddi:loss=0.5' }).OTA_BEARER).toEqual({ kddi: { lossRate: 0.5 } });
    expect(() => loadVsimConfig({ ...required, OTA_BEARER: 'kddi:loss=5' })).toThrow(ConfigError);
    expect(() => loadVsimConfig({ ...required, OTA_BEARER: 'kddi:loss=5' })).toThrow(/OTA_BEARER: .*loss/);
    expect(() => loadVsimConfig({ ...required, HANDSET_ALLOWED_AIDS: 'nope' })).toThrow(/HANDSET_ALLOWED_AIDS/);
  });
});
