import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ConsumerStatus, KafkaConnection, withTimeout } from '@jpki/messaging';

export interface CheckResult {
  status: 'up' | 'down';
  detail?: unknown;
}

/** Dependency checks behind /health/ready. Liveness never looks at dependencies. */
@Injectable()
export class Readiness {
  private draining = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly kafka: KafkaConnection,
    private readonly consumers: ConsumerStatus,
  ) {}

  /** Called when shutdown starts: the orchestrator stops routing traffic before we stop serving. */
  startDraining(): void {
    this.draining = true;
  }

  async check(): Promise<{ ready: boolean; checks: Record<string, CheckResult> }> {
    const checks: Record<string, CheckResult> = {
      shutdown: this.draining ? { status: 'down', detail: 'draining' } : { status: 'up' },
      database: await this.probe(() => withTimeout(this.dataSource.query('SELECT 1'), 2000, 'database ping')),
      kafka: await this.probe(() => this.kafka.ping()),
      consumers: this.consumers.healthy()
        ? { status: 'up', detail: this.consumers.snapshot() }
        : { status: 'down', detail: this.consumers.snapshot() },
    };
    return { ready: Object.values(checks).every((c) => c.status === 'up'), checks };
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
