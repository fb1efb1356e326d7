import { Module, type DynamicModule } from '@nestjs/common';
import { ConsumerStatus } from './consumer-status';
import { InboxPruner } from './inbox-pruner';
import { KafkaConnection } from './kafka-connection';
import { MESSAGING_OPTIONS, type MessagingOptions } from './messaging-options';
import { Outbox } from './outbox';
import { OutboxRelay } from './outbox-relay';

/** Kafka producer/admin, the outbox and its relay, inbox pruning. Requires a TypeORM DataSource in the app. */
@Module({})
export class MessagingModule {
  static forRoot(options: MessagingOptions): DynamicModule {
    return {
      module: MessagingModule,
      global: true,
      providers: [{ provide: MESSAGING_OPTIONS, useValue: options }, KafkaConnection, Outbox, OutboxRelay, ConsumerStatus, InboxPruner],
      exports: [MESSAGING_OPTIONS, KafkaConnection, Outbox, OutboxRelay, ConsumerStatus, InboxPruner],
    };
  }
}
