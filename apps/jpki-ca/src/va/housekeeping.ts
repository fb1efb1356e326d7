import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { createLogger } from '@jpki/observability';
import { Clock, SERVICE_CONFIG } from '@jpki/service-kit';
import type { CaConfig } from '../config';
import { CaStore } from '../storage/ca-store';

/** Forgets proofing nonces once no application carrying them could still be fresh. */
@Injectable()
export class Housekeeping implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = createLogger('jpki-ca.housekeeping');
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly store: CaStore,
    private readonly clock: Clock,
    @Inject(SERVICE_CONFIG) private readonly config: CaConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      const cutoff = new Date(this.clock.now().getTime() - 2 * this.config.PROOFING_MAX_AGE_SECONDS * 1000 - 120_000);
      this.store.forgetNoncesBefore(cutoff).catch((err) => this.log.warn({ err }, 'nonce cleanup failed'));
    }, 60_000);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }
}
