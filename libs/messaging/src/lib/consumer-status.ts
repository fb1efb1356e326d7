import { Injectable } from '@nestjs/common';

export type ConsumerState = 'starting' | 'running' | 'crashed' | 'stopped';

/** Shared between the Kafka server (writer) and the readiness check (reader). */
@Injectable()
export class ConsumerStatus {
  private readonly states = new Map<string, { state: ConsumerState; detail?: string }>();

  set(consumer: string, state: ConsumerState, detail?: string): void {
    this.states.set(consumer, { state, detail });
  }

  snapshot(): Record<string, { state: ConsumerState; detail?: string }> {
    return Object.fromEntries(this.states);
  }

  healthy(): boolean {
    return [...this.states.values()].every((s) => s.state === 'running' || s.state === 'starting');
  }
}
