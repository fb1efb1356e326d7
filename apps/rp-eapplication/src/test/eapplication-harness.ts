/** Test harness: rp-eapplication in this process (port 0) against a platform under test (the CA as a process). */
import type { AddressInfo } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { createServiceApp } from '@jpki/service-kit';
import { testDatabaseUrl, testKafkaBrokers, testSchema, type PlatformUnderTest } from '@jpki/testing';
import { RpEapplicationModule } from '../app.module';
import { loadRpEapplicationConfig, RP_EAPPLICATION_SERVICE_NAME } from '../config';
import { RP_EAPPLICATION_OPENAPI, rpEapplicationDefinition } from '../definition';

export interface EapplicationUnderTest {
  app: INestApplication;
  url: string;
  dataSource: DataSource;
  /** An operator token for this service (the platform's tokens name only the platform's services as audience). */
  operatorToken: string;
  close(): Promise<void>;
}

export async function startEapplication(platform: PlatformUnderTest, env: Record<string, string> = {}): Promise<EapplicationUnderTest> {
  const config = loadRpEapplicationConfig({
    HTTP_PORT: '0',
    DB_SCHEMA: testSchema('rp_eapplication'),
    DATABASE_URL: testDatabaseUrl(),
    KAFKA_BROKERS: testKafkaBrokers().join(','),
    KAFKA_TOPIC_PREFIX: platform.topicPrefix,
    KAFKA_CONSUMER_GROUP: `${platform.topicPrefix}rp-eapplication.${Math.random().toString(36).slice(2, 8)}`,
    LOG_LEVEL: 'warn',
    JPKI_CA_URL: platform.endpoints.ca,
    ...platform.keys.envFor(RP_EAPPLICATION_SERVICE_NAME),
    ...env,
  });
  const definition = rpEapplicationDefinition(config);
  const app = await createServiceApp({ definition, module: RpEapplicationModule.register(definition), openApi: RP_EAPPLICATION_OPENAPI });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return {
    app,
    url: `http://127.0.0.1:${port}`,
    dataSource: app.get(DataSource),
    operatorToken: platform.keys.operatorToken('eapplication-clerk', ['operator'], { audience: [RP_EAPPLICATION_SERVICE_NAME] }),
    close: () => app.close(),
  };
}
