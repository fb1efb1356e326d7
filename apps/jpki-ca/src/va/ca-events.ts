import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { PgListener } from '@jpki/messaging';
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
  private readonly listener: PgListener;
  private readonly statusListeners: StatusListener[] = [];
  private readonly crlListeners: CrlListener[] = [];
  private readonly resetListeners: (() => void)[] = [];

  constructor(@Inject(SERVICE_CONFIG) config: CaConfig) {
    this.listener = new PgListener({
      databaseUrl: config.DATABASE_URL,
      channel: `${config.DB_SCHEMA}_ca`,
      onNotification: (payload) => this.dispatch(payload),
      onChange: () => this.resetListeners.forEach((listener) => listener()),
    });
  }

  get listening(): boolean {
    return this.listener.listening;
  }

  onStatus(listener: StatusListener): void {
    this.statusListeners.push(listener);
  }

  onCrl(listener: CrlListener): void {
    this.crlListeners.push(listener);
  }

  onReset(listener: () => void): void {
    this.resetListeners.push(listener);
  }

  onApplicationBootstrap(): Promise<void> {
    return this.listener.start();
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.listener.stop();
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
