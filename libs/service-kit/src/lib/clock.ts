import { Injectable } from '@nestjs/common';

export const DAY_MS = 86_400_000;

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

export type ClockMoveRefusal = { reason: 'CLOCK_DISABLED' | 'CLOCK_NOT_FORWARD' | 'CLOCK_JUMP_TOO_LARGE'; detail: string };

/**
 * The simulation clock's rules, the same for the clock authority (lifecycle's POST /clock) and for every service's
 * ClockFeed: it moves only forward, by at most `maxJumpMs` at a time (SIMULATION_CLOCK_MAX_JUMP_DAYS; 0 = the clock
 * is off, as in production). Returns why the offset may not move from `currentMs` to `requestedMs`, or null.
 */
export function clockMoveRefusal(currentMs: number, requestedMs: number, maxJumpMs: number): ClockMoveRefusal | null {
  if (maxJumpMs <= 0) return { reason: 'CLOCK_DISABLED', detail: 'the simulation clock is off in this environment (SIMULATION_CLOCK_MAX_JUMP_DAYS=0)' };
  if (!Number.isSafeInteger(requestedMs) || requestedMs <= currentMs) {
    return { reason: 'CLOCK_NOT_FORWARD', detail: `the simulation clock only moves forward (offset now ${currentMs} ms, asked ${requestedMs} ms)` };
  }
  if (requestedMs - currentMs > maxJumpMs) {
    const days = (ms: number) => Math.round((ms / DAY_MS) * 1000) / 1000;
    return {
      reason: 'CLOCK_JUMP_TOO_LARGE',
      detail: `a jump of ${days(requestedMs - currentMs)} days exceeds the maximum of ${days(maxJumpMs)} days (SIMULATION_CLOCK_MAX_JUMP_DAYS); move in several steps`,
    };
  }
  return null;
}
