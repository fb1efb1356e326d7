/** Test harness: rp-ticketing in this process (port 0) against a platform under test (CA and friends as processes). */
import type { AddressInfo } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { createServiceApp } from '@jpki/service-kit';
import { testDatabaseUrl, testKafkaBrokers, testSchema, type PlatformUnderTest } from '@jpki/testing';
import { RpTicketingModule } from '../app.module';
import { loadRpTicketingConfig } from '../config';
import { RP_TICKETING_OPENAPI, rpTicketingDefinition } from '../definition';

export interface TicketingUnderTest {
  app: INestApplication;
  url: string;
  schema: string;
  dataSource: DataSource;
  close(): Promise<void>;
}

export async function startTicketing(platform: PlatformUnderTest, env: Record<string, string> = {}): Promise<TicketingUnderTest> {
  const schema = env['DB_SCHEMA'] ?? testSchema('rp_ticketing');
  const config = loadRpTicketingConfig({
    HTTP_PORT: '0',
    DB_SCHEMA: schema,
    DATABASE_URL: testDatabaseUrl(),
    KAFKA_BROKERS: testKafkaBrokers().join(','),
    KAFKA_TOPIC_PREFIX: platform.topicPrefix,
    LOG_LEVEL: 'warn',
    JPKI_CA_URL: platform.endpoints.ca,
    OPERATOR_TOKEN_PUBLIC_KEY: platform.keys.operatorIdp.signingSpki,
    GATE_CRL_AUTO_REFRESH_SECONDS: '0',
    ...env,
  });
  const definition = rpTicketingDefinition(config);
  const app = await createServiceApp({ definition, module: RpTicketingModule.register(definition), openApi: RP_TICKETING_OPENAPI });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return { app, url: `http://127.0.0.1:${port}`, schema, dataSource: app.get(DataSource), close: () => app.close() };
}
