import type { EntityManager } from 'typeorm';
import type { Envelope, MessageDefinition, PayloadInput, PayloadOf } from '@jpki/contracts';
import type { Outbox } from './outbox';

/**
 * What a message handler receives beside the payload: the transaction in which the inbox row is
 * written (do every state change through `manager`), and `publish`, which writes to the outbox
 * in that same transaction with this message as the cause.
 */
export class MessageContext {
  constructor(
    readonly envelope: Envelope,
    readonly manager: EntityManager,
    readonly topic: string,
    readonly partition: number,
    readonly attempt: number,
    private readonly outbox: Outbox,
  ) {}

  publish<D extends MessageDefinition>(definition: D, payload: PayloadInput<D>): Promise<Envelope<PayloadOf<D>>> {
    return this.outbox.publish(this.manager, definition, payload, {
      correlationId: this.envelope.correlationId,
      causationId: this.envelope.messageId,
    });
  }
}
