import { ConfigError } from '@jpki/service-kit';
import { loadSeTsmConfig } from './config';

const base = { ISD_MASTER_KEY: '11'.repeat(16) };

describe('se-tsm configuration', () => {
  it('defaults to port 7304, schema se_tsm, AES-128 S8 with 255-byte APDUs, and a response timeout from the push latency', () => {
    const { config, settings } = loadSeTsmConfig(base);
    expect(config).toMatchObject({ HTTP_PORT: 7304, DB_SCHEMA: 'se_tsm' });
    expect(settings).toMatchObject({ identity: 'se-tsm', isdKvn: 0x30, isdAid: 'A000000151000000', tampering: 'none' });
    expect(settings.profile).toEqual({ scp03KeyBytes: 16, scp03SMode: 8, maxApduDataBytes: 255 });
    expect(settings.otaResponseTimeoutMs).toBe(2_000);
    expect(loadSeTsmConfig({ ...base, PUSH_LATENCY_MS: '400' }).settings.otaResponseTimeoutMs).toBe(10_000);
  });

  it('takes an AES-256 S16 profile with a master key of that length', () => {
    const { settings } = loadSeTsmConfig({ ISD_MASTER_KEY: '22'.repeat(32), SCP03_KEY_BYTES: '32', SCP03_S_MODE: '16', MAX_APDU_DATA_BYTES: '128' });
    expect(settings.profile).toEqual({ scp03KeyBytes: 32, scp03SMode: 16, maxApduDataBytes: 128 });
  });

  it.each([
    [{}, /ISD_MASTER_KEY/],
    [{ ISD_MASTER_KEY: '11'.repeat(24) }, /AES-128/],
    [{ ...base, SCP03_S_MODE: '12' }, /SCP03_S_MODE/],
    [{ ...base, SE_SCRIPT_TAMPERING: 'replay', NODE_ENV: 'production' }, /refused in production/],
  ])('refuses %o', (env, message) => {
    expect(() => loadSeTsmConfig(env as NodeJS.ProcessEnv)).toThrow(ConfigError);
    expect(() => loadSeTsmConfig(env as NodeJS.ProcessEnv)).toThrow(message);
  });
});
