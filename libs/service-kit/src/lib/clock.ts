import { Injectable } from '@nestjs/common';

/**
 * The platform's notion of "now". Integrators can move an environment's clock forward (to see
 * certificates expire and renewals happen) without touching the machine's clock; every service
 * reads time through this class.
 */
@Injectable()
export class Clock {
  private offsetMs = 0;
  private readonly listeners = new Set<(now: Date) => void>();

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  get offset(): number {
    return this.offsetMs;
  }

  setOffset(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new Error('the simulation clock only moves forward');
    this.offsetMs = ms;
    const now = this.now();
    this.listeners.forEach((listener) => listener(now));
  }

  /** Time-driven work (CRL and OCSP refresh, sweeps) reacts to a jump at once instead of on its next tick. */
  onChange(listener: (now: Date) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
