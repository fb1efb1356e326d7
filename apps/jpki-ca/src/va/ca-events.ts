import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { Client } from 'pg';
import { createLogger } from '@jpki/observability';
import { SERVICE_CONFIG } from '@jpki/service-kit';
import type { CaConfig } from '../config';

type StatusListener = (ca: string, serial: string) => void;
type CrlListener = (ca: string, crlNumber: string) => void;

/**
 * LISTEN on `<schema>_ca`: every replica learns about every committed status change (and new CRL) within
 * milliseconds, whoever made it. While the listener is down, `listening` is false and caches must not be
 * trusted; on every (re)connect the reset listeners run (flush caches).
 */
@Injectable()
export class CaEvents implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log = createLogger('jpki-ca.events');
  private client?: Client;
  private stopped = false;
  private retry?: NodeJS.Timeout;
  private readonly statusListeners: StatusListener[] = [];
  private readonly crlListeners: CrlListener[] = [];
  private readonly resetListeners: (() => void)[] = [];
  listening = false;

  constructor(@Inject(SERVICE_CONFIG) private readonly config: CaConfig) {}

  onStatus(listener: StatusListener): void {
    this.statusListeners.push(listener);
  }

  onCrl(listener: CrlListener): void {
    this.crlListeners.push(listener);
  }

  onReset(listener: () => void): void {
    this.resetListeners.push(listener);
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.connect();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    this.listening = false;
    await this.client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new Client({ connectionString: this.config.DATABASE_URL });
    client.on('error', (err) => {
      this.log.warn({ err }, 'status listener connection lost');
      this.drop(client);
    });
    client.on('end', () => this.drop(client));
    client.on('notification', (message) => this.dispatch(message.payload ?? ''));
    try {
      await client.connect();
      await client.query(`LISTEN "${this.config.DB_SCHEMA}_ca"`);
      this.client = client;
      this.listening = true;
      this.resetListeners.forEach((listener) => listener());
    } catch (err) {
      this.log.warn({ err }, 'status listener could not connect; retrying');
      await client.end().catch(() => undefined);
      this.scheduleReconnect();
    }
  }

  private drop(client: Client): void {
    if (this.client !== client) return;
    this.client = undefined;
    this.listening = false;
    this.resetListeners.forEach((listener) => listener());
    void client.end().catch(() => undefined);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.retry) return;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      void this.connect();
    }, 1000);
  }

  private dispatch(payload: string): void {
    const [kind, ca, id] = payload.split(':');
    try {
      if (kind === 'status') this.statusListeners.forEach((listener) => listener(ca, id));
      if (kind === 'crl') this.crlListeners.forEach((listener) => listener(ca, id));
    } catch (err) {
      this.log.error({ err, payload }, 'status listener failed');
    }
  }
}
