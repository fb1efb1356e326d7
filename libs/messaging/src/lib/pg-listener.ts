import { Client } from 'pg';
import { createLogger } from '@jpki/observability';

export interface PgListenerOptions {
  readonly databaseUrl: string;
  readonly channel: string;
  /** Names the connection in pg_stat_activity, and so the session locks taken on it. */
  readonly applicationName?: string;
  readonly reconnectMs?: number;
  readonly onNotification: (payload: string) => void;
  /** Runs on every connect and every loss: notifications may have been missed in between. */
  readonly onChange?: (listening: boolean) => void;
}

/**
 * One PostgreSQL LISTEN connection that keeps itself up: after a loss (a PostgreSQL restart, a killed backend, a failed
 * connect) it connects again every `reconnectMs` until stopped.
 */
export class PgListener {
  private readonly log = createLogger('pg-listener');
  private client?: Client;
  private retry?: NodeJS.Timeout;
  private stopped = false;

  constructor(private readonly options: PgListenerOptions) {}

  get listening(): boolean {
    return this.client !== undefined;
  }

  /** Connects now; a failure is logged and retried, never thrown. */
  start(): Promise<void> {
    this.stopped = false;
    return this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    this.retry = undefined;
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  /** A query on the listening connection itself: a session lock taken here lives and dies with it. */
  async query<R>(sql: string, params: unknown[] = []): Promise<R[]> {
    if (!this.client) throw new Error(`not listening on ${this.options.channel}`);
    return (await this.client.query(sql, params)).rows as R[];
  }

  /** Gives up the connection, and what it holds, and connects again. */
  reconnect(): void {
    if (this.client) this.drop(this.client);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const { databaseUrl, applicationName, channel } = this.options;
    const client = new Client({ connectionString: databaseUrl, application_name: applicationName });
    client.on('error', (err) => {
      this.log.warn({ err, channel }, 'listener connection lost');
      this.drop(client);
    });
    client.on('end', () => this.drop(client));
    client.on('notification', (message) => this.options.onNotification(message.payload ?? ''));
    try {
      await client.connect();
      await client.query(`LISTEN "${channel}"`);
    } catch (err) {
      this.log.warn({ err, channel }, 'listener could not connect; retrying');
      await client.end().catch(() => undefined);
      this.scheduleReconnect();
      return;
    }
    if (this.stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.options.onChange?.(true);
  }

  private drop(client: Client): void {
    if (this.client !== client) return;
    this.client = undefined;
    this.options.onChange?.(false);
    void client.end().catch(() => undefined);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.retry) return;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      void this.connect();
    }, this.options.reconnectMs ?? 1000);
  }
}
