import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { KeyObject } from 'node:crypto';
import { generateRsaKeyPair } from '@jpki/pki';
import { createLogger, histogram } from '@jpki/observability';
import { SERVICE_CONFIG } from '@jpki/service-kit';
import type { CaConfig } from '../config';

/**
 * RSA-2048 key generation costs ~150 ms (≈500 signatures) and varies wildly, so it stays off the request
 * path: a small pool is filled in the background (on the libuv thread pool) and refilled after each take.
 */
@Injectable()
export class KeyPool implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = createLogger('jpki-ca.key-pool');
  private readonly keygen = histogram('ca_rsa_keygen_seconds', 'RSA-2048 key generation time', [], [0.05, 0.1, 0.2, 0.4, 0.8, 1.6]);
  private readonly keys: KeyObject[] = [];
  private filling?: Promise<void>;
  private stopped = false;

  constructor(@Inject(SERVICE_CONFIG) private readonly config: CaConfig) {}

  onApplicationBootstrap(): void {
    this.refill();
  }

  onModuleDestroy(): void {
    this.stopped = true;
  }

  get size(): number {
    return this.keys.length;
  }

  /** A fresh private key; generated inline only when the pool is empty. Never returns the same key twice. */
  async take(): Promise<KeyObject> {
    const key = this.keys.shift() ?? (await this.generate());
    this.refill();
    return key;
  }

  /** Resolves when the pool is full (tests, benchmarks). */
  async filled(): Promise<void> {
    while (this.filling) await this.filling;
  }

  private refill(): void {
    if (this.filling || this.stopped || this.keys.length >= this.config.KEY_POOL_SIZE) return;
    this.filling = (async () => {
      try {
        while (!this.stopped && this.keys.length < this.config.KEY_POOL_SIZE) this.keys.push(await this.generate());
      } catch (err) {
        this.log.error({ err }, 'key pool refill failed');
      } finally {
        this.filling = undefined;
      }
    })();
  }

  private async generate(): Promise<KeyObject> {
    const stop = this.keygen.startTimer();
    const { privateKey } = await generateRsaKeyPair(2048);
    stop();
    return privateKey;
  }
}
