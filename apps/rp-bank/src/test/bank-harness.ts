/** Test harness: rp-bank in this process (port 0) against a platform under test (CA and friends as processes). */
import type { AddressInfo } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { createServiceApp } from '@jpki/service-kit';
import { testDatabaseUrl, testKafkaBrokers, testSchema, type PlatformUnderTest } from '@jpki/testing';
import { RpBankModule } from '../app.module';
import { loadRpBankConfig } from '../config';
import { RP_BANK_OPENAPI, rpBankDefinition } from '../definition';

export interface BankUnderTest {
  app: INestApplication;
  url: string;
  dataSource: DataSource;
  close(): Promise<void>;
}

export async function startBank(platform: PlatformUnderTest, env: Record<string, string> = {}): Promise<BankUnderTest> {
  const ca = platform.keys.keys.get('jpki-ca');
  if (!ca) throw new Error('the platform has no jpki-ca keys');
  const config = loadRpBankConfig({
    HTTP_PORT: '0',
    DB_SCHEMA: testSchema('rp_bank'),
    DATABASE_URL: testDatabaseUrl(),
    KAFKA_BROKERS: testKafkaBrokers().join(','),
    KAFKA_TOPIC_PREFIX: platform.topicPrefix,
    KAFKA_CONSUMER_GROUP: `${platform.topicPrefix}rp-bank.${Math.random().toString(36).slice(2, 8)}`,
    LOG_LEVEL: 'warn',
    JPKI_CA_URL: platform.endpoints.ca,
    TRUSTED_PRODUCER_KEYS: `jpki-ca=${ca.signingSpki}`,
    OPERATOR_TOKEN_PUBLIC_KEY: platform.keys.operatorIdp.signingSpki,
    ...env,
  });
  const definition = rpBankDefinition(config);
  const app = await createServiceApp({ definition, module: RpBankModule.register(definition), openApi: RP_BANK_OPENAPI });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return { app, url: `http://127.0.0.1:${port}`, dataSource: app.get(DataSource), close: () => app.close() };
}
