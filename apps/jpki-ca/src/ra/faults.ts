import { Inject, Injectable } from '@nestjs/common';
import { createLogger } from '@jpki/observability';
import { SERVICE_CONFIG } from '@jpki/service-kit';
import type { CaConfig, FaultName } from '../config';

/** Raised by an injected fault; it is an ordinary (retriable) error for the messaging layer. */
export class InjectedFault extends Error {
  constructor(readonly fault: FaultName, detail: string) {
    super(`injected fault ${fault}: ${detail}`);
    this.name = 'InjectedFault';
  }
}

/**
 * Fault injection for tests and resilience drills (CA_FAULTS, or `arm()` from a test). Never enabled in
 * production (the configuration refuses it).
 */
@Injectable()
export class FaultInjector {
  private readonly log = createLogger('jpki-ca.faults');
  private readonly armed = new Map<FaultName, number>();
  private readonly fired = new Map<FaultName, number>();

  constructor(@Inject(SERVICE_CONFIG) config: CaConfig) {
    for (const spec of config.CA_FAULTS) {
      const [name, times] = spec.split(':');
      this.armed.set(name as FaultName, times ? Number(times) : Number.POSITIVE_INFINITY);
    }
  }

  arm(fault: FaultName, times = 1): void {
    this.armed.set(fault, times);
  }

  disarm(fault: FaultName): void {
    this.armed.delete(fault);
  }

  isArmed(fault: FaultName): boolean {
    return (this.armed.get(fault) ?? 0) > 0;
  }

  firedCount(fault: FaultName): number {
    return this.fired.get(fault) ?? 0;
  }

  /** True (and one shot used) when the fault is armed. */
  fire(fault: FaultName): boolean {
    const left = this.armed.get(fault) ?? 0;
    if (left <= 0) return false;
    this.armed.set(fault, left - 1);
    this.fired.set(fault, (this.fired.get(fault) ?? 0) + 1);
    this.log.warn({ fault, left: left - 1 }, 'injected fault fires');
    return true;
  }

  /** Between the committed serial allocation and signing: crash (throw) or exit the process. */
  afterAllocation(requestId: string, serial: string): void {
    if (this.fire('crash-after-allocation')) throw new InjectedFault('crash-after-allocation', `request ${requestId}, serial ${serial} allocated, not signed`);
    if (this.fire('exit-after-allocation')) {
      this.log.error({ requestId, serial }, 'exiting after serial allocation (injected fault)');
      process.exit(70);
    }
  }
}
