import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { MessageDefinition, PayloadInput } from '@jpki/contracts';
import { Outbox, type MessageContext } from '@jpki/messaging';
import { CaStore } from '../storage/ca-store';
import type { AuditEntry } from '../storage/types';

export type Publish = <D extends MessageDefinition>(definition: D, payload: PayloadInput<D>) => Promise<unknown>;

/**
 * One unit of work of the RA: the transaction, how events are published into its outbox, and the audit
 * entries to append. Audit entries are appended last (`finish`), so the audit chain lock is held only for
 * the end of the transaction and never while waiting for another lock.
 */
export class CaTransaction {
  private readonly entries: AuditEntry[] = [];

  constructor(
    readonly manager: EntityManager,
    readonly publish: Publish,
    readonly actor: string,
  ) {}

  audit(entry: Omit<AuditEntry, 'actor'> & { actor?: string }): void {
    this.entries.push({ ...entry, actor: entry.actor ?? this.actor });
  }

  async finish(store: CaStore): Promise<void> {
    const pending = this.entries.splice(0);
    await store.appendAudit(this.manager, pending);
  }
}

@Injectable()
export class CaTransactions {
  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: Outbox,
    private readonly store: CaStore,
  ) {}

  /** A transaction started here (HTTP): events go through the outbox in the same transaction. */
  run<T>(actor: string, work: (tx: CaTransaction) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(async (manager) => {
      const tx = new CaTransaction(manager, (definition, payload) => this.outbox.publish(manager, definition, payload), actor);
      const result = await work(tx);
      await tx.finish(this.store);
      return result;
    });
  }

  /** The inbox transaction of a Kafka message; the caller finishes it before the handler returns. */
  forMessage(ctx: MessageContext, actor: string): CaTransaction {
    return new CaTransaction(ctx.manager, (definition, payload) => ctx.publish(definition, payload), actor);
  }
}
