import { ConfigError } from '@jpki/service-kit';
import { loadMnoTsmConfig } from './config';

const base = { CARRIER: 'kddi', ISD_MASTER_KEY: '11'.repeat(24) };

describe('mno-tsm configuration', () => {
  it('takes port, schema and profile from the carrier', () => {
    const { config, settings } = loadMnoTsmConfig(base);
    expect(config.HTTP_PORT).toBe(7302);
    expect(config.DB_SCHEMA).toBe('mno_tsm_kddi');
    expect(settings.profile).toMatchObject({ carrier: 'kddi', scp03KeyBytes: 24, scp03SMode: 8, mvnos: ['mineo'], iccidPrefix: '898130' });
    expect(settings.otaResponseTimeoutMs).toBe(2_000);
    expect(settings.tampering).toBe('none');
  });

  it('applies profile overrides from the environment', () => {
    const { settings } = loadMnoTsmConfig({
      ...base,
      CARRIER: 'softbank',
      ISD_MASTER_KEY: '22'.repeat(16),
      SCP03_KEY_BYTES: '16',
      SCP03_S_MODE: '8',
      MAX_APDU_DATA_BYTES: '128',
      OTA_LATENCY_MS: '400',
      OTA_LOSS_RATE: '0.1',
      HOSTED_MVNOS: '',
      SIM_GENERATIONS_JSON: '{"sb-test":{"supportsJpkiApplet":true,"memoryQuotaBytes":4096}}',
    });
    expect(settings.profile).toMatchObject({ scp03KeyBytes: 16, scp03SMode: 8, maxApduDataBytes: 128, ota: { latencyMs: 400, lossRate: 0.1 }, simGenerations: { 'sb-test': { memoryQuotaBytes: 4096 } } });
    expect(settings.otaResponseTimeoutMs).toBe(10_000);
  });

  it.each([
    [{ ...base, ISD_MASTER_KEY: undefined }, /ISD_MASTER_KEY/],
    [{ ...base, ISD_MASTER_KEY: '11'.repeat(16) }, /AES-192/],
    [{ ...base, CARRIER: 'rakuten' }, /CARRIER/],
    [{ ...base, HOSTED_MVNOS: 'iijmio' }, /hosted by docomo/],
    [{ ...base, SIM_GENERATIONS_JSON: '{}' }, /SIM_GENERATIONS_JSON/],
    [{ ...base, SCP03_S_MODE: '12' }, /SCP03_S_MODE/],
    [{ ...base, MNO_SCRIPT_TAMPERING: 'alter', NODE_ENV: 'production' }, /refused in production/],
  ])('refuses %o', (env, message) => {
    expect(() => loadMnoTsmConfig(env as NodeJS.ProcessEnv)).toThrow(ConfigError);
    expect(() => loadMnoTsmConfig(env as NodeJS.ProcessEnv)).toThrow(message);
  });
});
