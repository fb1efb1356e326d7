import { Module, type DynamicModule, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { MessagingModule, ProducerIdentity, TrustedProducers, type Subscription } from '@jpki/messaging';
import { Clock } from './clock';
import { ClockFeed } from './clock-feed';
import type { BaseConfig } from './config';
import { dataSourceOptions, type DatabaseSettings } from './database';
import { HttpContextMiddleware } from './http-context.middleware';
import { OpsController } from './ops.controller';
import { Readiness } from './readiness';
import { ServiceKeys } from './service-keys';
import type { OperatorCarrier } from '@jpki/crypto';
import { SERVES_WITHOUT_BROKER, SERVICE_CARRIER, SERVICE_CONFIG, SERVICE_NAME } from './tokens';

export interface ServiceDefinition {
  /** e.g. "jpki-ca", "mno-tsm-docomo": log field, Kafka client id, inbox consumer name. */
  name: string;
  config: BaseConfig;
  entities: DatabaseSettings['entities'];
  migrations: DatabaseSettings['migrations'];
  subscriptions: Subscription[];
  /**
   * A carrier's own service (its MNO-TSM): every operator endpoint holds that carrier's data, so only its operators'
   * tokens (and the platform integrator's) are accepted.
   */
  operatorCarrier?: OperatorCarrier;
  /**
   * The HTTP API needs only the database (the CA's OCSP, CRL and certificates): once the service has been ready, a
   * broker outage no longer takes it out of rotation (messages wait in the outbox; consumers reconnect on their own).
   */
  servesWithoutBroker?: boolean;
}


export function databaseSettings(def: ServiceDefinition): DatabaseSettings {
  return { url: def.config.DATABASE_URL, schema: def.config.DB_SCHEMA, entities: def.entities, migrations: def.migrations };
}

/** Database, messaging, health, metrics and request context: what every service shares. */
@Module({})
export class ServiceKitModule implements NestModule {
  static forRoot(def: ServiceDefinition): DynamicModule {
    const c = def.config;
    return {
      module: ServiceKitModule,
      global: true,
      imports: [
        TypeOrmModule.forRoot(dataSourceOptions(databaseSettings(def))),
        MessagingModule.forRoot({
          serviceName: def.name,
          brokers: c.KAFKA_BROKERS,
          topicPrefix: c.KAFKA_TOPIC_PREFIX,
          consumerGroup: c.KAFKA_CONSUMER_GROUP ?? `${c.KAFKA_TOPIC_PREFIX}${def.name}`,
          sessionTimeoutMs: c.KAFKA_SESSION_TIMEOUT_MS,
          subscriptions: def.subscriptions,
          databaseUrl: c.DATABASE_URL,
          schema: c.DB_SCHEMA,
          identity: c.SERVICE_SIGNING_KEY ? ProducerIdentity.fromBase64Pkcs8(def.name, c.SERVICE_SIGNING_KEY) : undefined,
          trustedProducers: TrustedProducers.parse(c.TRUSTED_PRODUCER_KEYS),
          inboxRetentionMs: c.INBOX_RETENTION_HOURS === undefined ? undefined : c.INBOX_RETENTION_HOURS * 3_600_000,
        }),
      ],
      controllers: [OpsController],
      providers: [
        Readiness,
        Clock,
        ClockFeed,
        ServiceKeys,
        { provide: SERVICE_CONFIG, useValue: c },
        { provide: SERVICE_NAME, useValue: def.name },
        { provide: SERVICE_CARRIER, useValue: def.operatorCarrier ?? null },
        { provide: SERVES_WITHOUT_BROKER, useValue: def.servesWithoutBroker ?? false },
      ],
      exports: [Readiness, Clock, ServiceKeys, SERVICE_CONFIG, SERVICE_NAME, SERVICE_CARRIER],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(HttpContextMiddleware).forRoutes('*');
  }
}
