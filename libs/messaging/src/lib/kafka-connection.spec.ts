import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kafkaTlsFromEnv } from './kafka-connection';

describe('TLS to the brokers from the environment', () => {
  it('is off unless asked for', () => {
    expect(kafkaTlsFromEnv({})).toBeUndefined();
    expect(kafkaTlsFromEnv({ KAFKA_TLS: 'false' })).toBeUndefined();
    expect(kafkaTlsFromEnv({ KAFKA_TLS: '' })).toBeUndefined();
  });

  it('trusts the system CAs with KAFKA_TLS=true, or the cluster CA a file names', () => {
    expect(kafkaTlsFromEnv({ KAFKA_TLS: 'true' })).toEqual({});
    const ca = join(mkdtempSync(join(tmpdir(), 'kafka-tls-')), 'ca.crt');
    writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    expect(kafkaTlsFromEnv({ KAFKA_TLS_CA_FILE: ca })).toEqual({ ca: ['-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'] });
    expect(kafkaTlsFromEnv({ KAFKA_TLS_CA_FILE: ca, KAFKA_TLS: 'true' })).toEqual({ ca: [expect.stringContaining('BEGIN CERTIFICATE')] });
  });

  it('refuses a setting it cannot honour', () => {
    expect(() => kafkaTlsFromEnv({ KAFKA_TLS: 'yes' })).toThrow('KAFKA_TLS=yes: true or false');
    expect(() => kafkaTlsFromEnv({ KAFKA_TLS_CA_FILE: '/ca.crt', KAFKA_TLS: 'false' })).toThrow('KAFKA_TLS_CA_FILE is set but KAFKA_TLS=false');
    expect(() => kafkaTlsFromEnv({ KAFKA_TLS_CA_FILE: '/nonexistent/ca.crt' })).toThrow(/ENOENT/);
  });
});
