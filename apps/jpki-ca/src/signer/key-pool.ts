import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { RsaKeyPool } from '@jpki/crypto';
import { createLogger, histogram } from '@jpki/observability';
import { SERVICE_CONFIG } from '@jpki/service-kit';
import type { CaConfig } from '../config';

/** The keys the CA generates (test citizens' cards, delivered keys), KEY_POOL_SIZE of them kept ready. */
@Injectable()
export class KeyPool extends RsaKeyPool implements OnApplicationBootstrap, OnModuleDestroy {
  constructor(@Inject(SERVICE_CONFIG) config: CaConfig) {
    const log = createLogger('jpki-ca.key-pool');
    const keygen = histogram('ca_rsa_keygen_seconds', 'RSA-2048 key generation time', [], [0.05, 0.1, 0.2, 0.4, 0.8, 1.6]);
    super({ size: config.KEY_POOL_SIZE, onGenerated: (seconds) => keygen.observe(seconds), onError: (err) => log.error({ err }, 'key pool refill failed') });
  }

  onApplicationBootstrap(): void {
    this.start();
  }

  onModuleDestroy(): void {
    this.stop();
  }
}
