import { generateKeyPair, generateKeyPairSync, type KeyPairKeyObjectResult } from 'node:crypto';
import { promisify } from 'node:util';

const generateKeyPairAsync = promisify(generateKeyPair);

export type RsaKeyPair = KeyPairKeyObjectResult;

export interface RsaKeyPoolOptions {
  /** Pairs kept ready; 0 generates every pair on demand. */
  readonly size: number;
  readonly modulusLength?: number;
  /** Each generation's duration in seconds (for a histogram). */
  readonly onGenerated?: (seconds: number) => void;
  readonly onError?: (error: unknown) => void;
}

/**
 * RSA key pairs generated ahead, on the libuv thread pool. An RSA-2048 generation costs about 150 ms of one core and
 * varies wildly from key to key; done inline it holds a request, or, synchronously, blocks the whole event loop (a
 * virtual card answering GENERATE KEY PAIR). The pool keeps `size` pairs ready and refills after each take. A pair is
 * handed out once and lives only in this process's memory.
 */
export class RsaKeyPool {
  private readonly pairs: RsaKeyPair[] = [];
  private readonly modulusLength: number;
  private filling?: Promise<void>;
  private stopped = true;

  constructor(private readonly options: RsaKeyPoolOptions) {
    this.modulusLength = options.modulusLength ?? 2048;
  }

  get ready(): number {
    return this.pairs.length;
  }

  start(): void {
    this.stopped = false;
    this.refill();
  }

  stop(): void {
    this.stopped = true;
  }

  /** A fresh pair; generated off the event loop when the pool is empty. */
  async take(): Promise<RsaKeyPair> {
    const pair = this.pairs.shift() ?? (await this.generate());
    this.refill();
    return pair;
  }

  /** A fresh pair now, for a caller that must answer synchronously: generated inline when the pool is empty. */
  takeNow(): RsaKeyPair {
    const pair = this.pairs.shift() ?? this.timed(process.hrtime.bigint(), generateKeyPairSync('rsa', this.params()));
    this.refill();
    return pair;
  }

  /** Resolves when the pool is full (tests, benchmarks). */
  async filled(): Promise<void> {
    while (this.filling) await this.filling;
  }

  private refill(): void {
    if (this.filling || this.stopped || this.pairs.length >= this.options.size) return;
    this.filling = (async () => {
      try {
        while (!this.stopped && this.pairs.length < this.options.size) {
          this.pairs.push(await this.generate());
        }
      } catch (error) {
        this.options.onError?.(error);
      } finally {
        this.filling = undefined;
      }
    })();
  }

  private async generate(): Promise<RsaKeyPair> {
    const started = process.hrtime.bigint();
    return this.timed(started, await generateKeyPairAsync('rsa', this.params()));
  }

  private timed(started: bigint, pair: RsaKeyPair): RsaKeyPair {
    this.options.onGenerated?.(Number(process.hrtime.bigint() - started) / 1e9);
    return pair;
  }

  private params() {
    return { modulusLength: this.modulusLength, publicExponent: 0x10001 };
  }
}
