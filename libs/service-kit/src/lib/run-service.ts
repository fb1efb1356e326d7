import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { INestApplication, DynamicModule, Type } from '@nestjs/common';
import type { MicroserviceOptions } from '@nestjs/microservices';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { ConsumerStatus, KafkaConnection, KafkaInboxServer, Outbox, RethrowRpcErrorsFilter } from '@jpki/messaging';
import { collectProcessMetrics, createLogger, JsonLogger, startTracing, type Tracing } from '@jpki/observability';
import { DEFAULT_HTTP_BODY_LIMIT_BYTES } from './config';
import { migrateDatabase } from './database';
import { HttpErrorFilter } from './http-errors';
import { installJsonBodyParsing, RequestInputInterceptor } from './http-input';
import { Readiness } from './readiness';
import { databaseSettings, type ServiceDefinition } from './service-kit.module';

export interface RunOptions {
  definition: ServiceDefinition;
  /** The service's root module; it must import ServiceKitModule.forRoot(definition). */
  module: Type<unknown> | DynamicModule;
  openApi: { title: string; description: string; version?: string };
}

/**
 * Starts a service: migrations, HTTP (OpenAPI at /docs), the Kafka consumer, and a graceful
 * shutdown on SIGTERM/SIGINT: readiness goes down, consumers stop (in-flight messages finish),
 * then the relay, producer and database close, and the spans still buffered are exported. Tracing (off unless the
 * OTEL_* variables ask for it) starts first, so that its instrumentations see the database client and HTTP server load.
 */
export async function runService(opts: RunOptions): Promise<INestApplication> {
  const { definition } = opts;
  const tracing = await startTracing(definition.name);
  const log = createLogger(definition.name, definition.config.LOG_LEVEL);
  const app = await createServiceApp(opts);
  await app.listen(definition.config.HTTP_PORT, definition.config.HTTP_HOST);
  log.info({ port: definition.config.HTTP_PORT, schema: definition.config.DB_SCHEMA }, `${definition.name} started`);
  installShutdown(app, definition, log, tracing);
  return app;
}

/** Everything but listening and signal handling (tests listen on port 0 and close the app themselves). */
export async function createServiceApp(opts: RunOptions): Promise<INestApplication> {
  const { definition } = opts;
  const log = createLogger(definition.name, definition.config.LOG_LEVEL);
  collectProcessMetrics(definition.name);
  const applied = await migrateDatabase(databaseSettings(definition));
  if (applied.length) log.info({ migrations: applied }, 'database migrated');

  const app = await NestFactory.create(opts.module, { logger: new JsonLogger(log), forceCloseConnections: true, bufferLogs: false, bodyParser: false });
  installJsonBodyParsing(app, definition.config.HTTP_BODY_LIMIT_BYTES ?? DEFAULT_HTTP_BODY_LIMIT_BYTES);
  app.useGlobalFilters(new HttpErrorFilter());
  app.useGlobalInterceptors(new RequestInputInterceptor());
  mountOpenApi(app, opts.openApi);
  // Producer, admin and relay connect in init, before the consumer can need them.
  await app.init();

  if (definition.subscriptions.length > 0) {
    const strategy = new KafkaInboxServer({
      kafka: app.get(KafkaConnection),
      dataSource: app.get(DataSource),
      outbox: app.get(Outbox),
      status: app.get(ConsumerStatus),
    });
    // Deferred so the filter is in place before handlers are wrapped; the app already ran init hooks.
    const ms = app.connectMicroservice<MicroserviceOptions>({ strategy }, { inheritAppConfig: false, deferInitialization: true });
    ms.useGlobalFilters(new RethrowRpcErrorsFilter());
    (ms as unknown as { setIsInitHookCalled(v: boolean): void }).setIsInitHookCalled(true);
    await app.startAllMicroservices();
  }
  return app;
}

function mountOpenApi(app: INestApplication, api: RunOptions['openApi']): void {
  const doc = new DocumentBuilder()
    .setTitle(api.title)
    .setDescription(api.description)
    .setVersion(api.version ?? '1')
    .addBearerAuth()
    .build();
  SwaggerModule.setup('docs', app, () => SwaggerModule.createDocument(app, doc), { jsonDocumentUrl: 'docs-json' });
}

function installShutdown(app: INestApplication, def: ServiceDefinition, log: ReturnType<typeof createLogger>, tracing?: Tracing): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    app.get(Readiness).startDraining();
    const timer = setTimeout(() => {
      log.error('shutdown timed out; exiting');
      process.exit(1);
    }, def.config.SHUTDOWN_TIMEOUT_MS);
    try {
      await app.close();
      await tracing?.shutdown();
      log.info('stopped');
      clearTimeout(timer);
      process.exit(0);
    } catch (err) {
      log.error({ err }, 'error during shutdown');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}
