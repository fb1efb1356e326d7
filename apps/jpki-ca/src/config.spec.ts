import { ConfigError } from '@jpki/service-kit';
import { loadCaConfig, publicBaseUrl } from './config';

describe('jpki-ca configuration', () => {
  it('defaults to port 7100, schema jpki_ca and a local public URL', () => {
    const config = loadCaConfig({});
    expect(config).toMatchObject({ HTTP_PORT: 7100, DB_SCHEMA: 'jpki_ca', CA_FAULTS: [], OCSP_RESPONSE_VALIDITY_SECONDS: 3600 });
    expect(publicBaseUrl(config)).toBe('http://127.0.0.1:7100');
    expect(publicBaseUrl(loadCaConfig({ PUBLIC_BASE_URL: 'https://jpki.example/' }))).toBe('https://jpki.example');
  });

  it('accepts fault injection only outside production, and only known faults', () => {
    expect(loadCaConfig({ CA_FAULTS: 'crash-after-allocation:1' }).CA_FAULTS).toEqual(['crash-after-allocation:1']);
    expect(() => loadCaConfig({ CA_FAULTS: 'crash-after-allocation', NODE_ENV: 'production' })).toThrow(ConfigError);
    expect(() => loadCaConfig({ CA_FAULTS: 'format-disk' })).toThrow(/CA_FAULTS/);
  });
});
