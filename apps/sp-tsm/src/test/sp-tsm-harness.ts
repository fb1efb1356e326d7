/** Test harness: sp-tsm in this process (port 0) on the real broker and database, under a topic namespace of its own. */
import { randomBytes } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { DataSource } from 'typeorm';
import type { PhoneEnrollmentApplication } from '@jpki/contracts';
import { ensureTopics, kafkaClient } from '@jpki/messaging';
import { issuePlainCertificate, signCms, SoftwareRsaSigner } from '@jpki/pki';
import { createServiceApp, type OperatorRole } from '@jpki/service-kit';
import { StackKeys, testDatabaseUrl, testKafkaBrokers, testSchema, testTopicPrefix } from '@jpki/testing';
import { SpTsmModule } from '../app.module';
import { loadSpTsmConfig } from '../config';
import { SP_TSM_OPENAPI, spTsmDefinition } from '../definition';

export class SpTsmUnderTest {
  private constructor(
    readonly app: INestApplication,
    readonly keys: StackKeys,
    readonly schema: string,
  ) {}

  static async start(): Promise<SpTsmUnderTest> {
    const prefix = `${testTopicPrefix()}s${randomBytes(3).toString('hex')}.`;
    await ensureTopics(kafkaClient('sp-tsm-test-setup', testKafkaBrokers()), prefix);
    const keys = new StackKeys(['sp-tsm']);
    const config = loadSpTsmConfig({
      HTTP_PORT: '0',
      DB_SCHEMA: testSchema('sp_tsm'),
      DATABASE_URL: testDatabaseUrl(),
      KAFKA_BROKERS: testKafkaBrokers().join(','),
      KAFKA_TOPIC_PREFIX: prefix,
      LOG_LEVEL: 'warn',
      ...keys.envFor('sp-tsm'),
    });
    const app = await createServiceApp({ definition: spTsmDefinition(config), module: SpTsmModule.register(config), openApi: SP_TSM_OPENAPI });
    await app.listen(0, '127.0.0.1');
    return new SpTsmUnderTest(app, keys, config.DB_SCHEMA);
  }

  http() {
    return request(this.app.getHttpServer());
  }

  /** An operator token of this deployment's identity provider, as an `authorization` header. */
  token(sub: string, roles: OperatorRole[]): string {
    return `Bearer ${this.keys.operatorToken(sub, roles)}`;
  }

  query<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
    return this.app.get(DataSource).query(sql, params);
  }

  /** The number of rows in every table of the service's schema, by table. */
  async rowCounts(): Promise<Record<string, number>> {
    const tables = await this.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE' ORDER BY table_name`,
      [this.schema],
    );
    const counts: Record<string, number> = {};
    for (const { table_name } of tables) {
      const [row] = await this.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${this.schema}"."${table_name}"`);
      counts[table_name] = row.n;
    }
    return counts;
  }

  close(): Promise<void> {
    return this.app.close();
  }
}

/**
 * Stands in for a My Number card's signing key: an RSA key with a self-signed certificate. The SP-TSM checks only
 * that the signature verifies with the certificate the SignedData carries; whether that is a genuine card is the CA's.
 */
export class TestCard {
  private constructor(
    private readonly signer: SoftwareRsaSigner,
    private readonly certificate: Buffer,
  ) {}

  static async issue(): Promise<TestCard> {
    const signer = await SoftwareRsaSigner.generate();
    const notBefore = new Date();
    const certificate = await issuePlainCertificate({
      serialNumber: randomBytes(8).toString('hex').replace(/^./, '1'),
      subject: [
        { type: 'C', value: 'JP' },
        { type: 'CN', value: 'test card signing key' },
      ],
      subjectPublicKeyInfo: signer.publicKeySpki,
      validity: { notBefore, notAfter: new Date(notBefore.getTime() + 86_400_000) },
      issuer: { signer },
      extensions: [],
    });
    return new TestCard(signer, certificate);
  }

  /** The application as the JPKI-UI app has the card sign it: CMS SignedData (DER), the JSON attached. */
  signApplication(application: PhoneEnrollmentApplication | string): Promise<Buffer> {
    const content = typeof application === 'string' ? application : JSON.stringify(application);
    return signCms(Buffer.from(content, 'utf8'), this.certificate, this.signer);
  }
}

/** A SIM enrollment application for this number with an on-device key (the CA's schema), with `overrides`. */
export function simApplication(msisdn: string, overrides: Partial<PhoneEnrollmentApplication> = {}): PhoneEnrollmentApplication {
  return {
    purpose: 'phone-enrollment',
    nonce: randomBytes(24).toString('base64url'),
    requestedAt: new Date().toISOString(),
    carrier: 'docomo',
    msisdn,
    keyMode: 'on-device',
    deviceKind: 'sim',
    ...overrides,
  };
}
