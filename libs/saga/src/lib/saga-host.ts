import { Inject, Injectable, type OnApplicationBootstrap, type BeforeApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Outbox } from '@jpki/messaging';
import { SERVICE_CONFIG, type BaseConfig } from '@jpki/service-kit';
import type { SagaData, SagaDefinition } from './saga-definition';
import { SagaEngine, type SagaEngineOptions } from './saga-engine';

export const SAGA_DEFINITIONS = Symbol('SAGA_DEFINITIONS');
export const SAGA_ENGINE_OPTIONS = Symbol('SAGA_ENGINE_OPTIONS');

/**
 * The service's saga engine as a Nest provider: commands go out through the outbox, the engine
 * starts with the application and stops before the database closes.
 */
@Injectable()
export class SagaHost implements OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly engine: SagaEngine;

  constructor(
    ds: DataSource,
    outbox: Outbox,
    @Inject(SERVICE_CONFIG) config: BaseConfig,
    @Inject(SAGA_DEFINITIONS) definitions: SagaDefinition<SagaData>[],
    @Inject(SAGA_ENGINE_OPTIONS) options: Partial<SagaEngineOptions>,
  ) {
    this.engine = new SagaEngine(
      ds,
      definitions,
      { databaseUrl: config.DATABASE_URL, schema: config.DB_SCHEMA, leaseMs: config.SAGA_LEASE_MS, ...options },
      (manager, definition, payload, correlationId) => outbox.publish(manager, definition, payload, { correlationId }),
    );
  }

  onApplicationBootstrap(): Promise<void> {
    return this.engine.start();
  }

  /** Before the database closes: running steps are aborted and their sagas released. */
  beforeApplicationShutdown(): Promise<void> {
    return this.engine.stop();
  }
}
