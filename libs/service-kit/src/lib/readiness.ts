import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ConsumerStatus, KafkaConnection, withTimeout } from '@jpki/messaging';
import { SERVES_WITHOUT_BROKER } from './tokens';

export interface CheckResult {
  status: 'up' | 'down';
  detail?: unknown;
}

/**
 * Dependency checks behind /health/ready. Liveness never looks at dependencies. A service starts serving only once the
 * database, the broker and its consumers are up; a service whose HTTP API needs only the database
 * (`servesWithoutBroker`) then stays ready through a broker outage, which it reports as `degraded`.
 */
@Injectable()
export class Readiness {
  private draining = false;
  private wasReady = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly kafka: KafkaConnection,
    private readonly consumers: ConsumerStatus,
    @Inject(SERVES_WITHOUT_BROKER) private readonly servesWithoutBroker: boolean,
  ) {}

  /** Called when shutdown starts: the orchestrator stops routing traffic before we stop serving. */
  startDraining(): void {
    this.draining = true;
  }

  async check(): Promise<{ ready: boolean; degraded: boolean; checks: Record<string, CheckResult> }> {
    const serving: Record<string, CheckResult> = {
      shutdown: this.draining ? { status: 'down', detail: 'draining' } : { status: 'up' },
      database: await this.probe(() => withTimeout(this.dataSource.query('SELECT 1'), 2000, 'database ping')),
    };
    const messaging: Record<string, CheckResult> = {
      kafka: await this.probe(() => this.kafka.ping()),
      consumers: this.consumers.healthy()
        ? { status: 'up', detail: this.consumers.snapshot() }
        : { status: 'down', detail: this.consumers.snapshot() },
    };
    const up = (checks: Record<string, CheckResult>) => Object.values(checks).every((c) => c.status === 'up');
    const brokerGates = !(this.servesWithoutBroker && this.wasReady);
    const ready = up(serving) && (up(messaging) || !brokerGates);
    if (ready && up(messaging)) this.wasReady = true;
    return { ready, degraded: ready && !up(messaging), checks: { ...serving, ...messaging } };
  }

  private async probe(fn: () => Promise<unknown>): Promise<CheckResult> {
    try {
      const detail = await fn();
      return { status: 'up', detail: Array.isArray(detail) ? undefined : detail };
    } catch (err) {
      return { status: 'down', detail: err instanceof Error ? err.message : String(err) };
    }
  }
}
