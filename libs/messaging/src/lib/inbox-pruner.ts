/**
 * Inbox retention. The inbox holds one row per (consumer, messageId) handled, so that a message delivered again is
 * acknowledged without a second effect. A row is only useful while the same message can still arrive; after that it
 * is dead weight, and without pruning the table grows by one row per message forever.
 *
 * How long can a copy of a handled message still arrive? Every way back goes through a topic, and topics forget:
 * - redelivery after a crash or rebalance (offsets not yet committed): seconds to minutes;
 * - the retry topic (exponential backoff, at most 30 s per attempt, 5 attempts): minutes; its retention is 7 days;
 * - the outbox relay publishing a row again after a crash between send and mark: as long as the service was down,
 *   and the copy then sits in the topic for at most its retention, 7 days;
 * - a consumer group whose offsets were lost or reset (offsets.retention.minutes is 7 days, and subscriptions start
 *   `fromBeginning`) re-reads each topic from its oldest message: at most 7 days old (deploy/src/topics.ts);
 * - an operator redriving a dead letter: at most the dead-letter retention, 30 days.
 * So no copy of a message can arrive more than 30 days after it was first handled; the default retention, 35 days
 * (INBOX_RETENTION_HOURS, refused below 31 days), keeps every row longer than that, with a margin. The age is
 * measured in the database's own time (processed_at DEFAULT now()): never in the simulation clock, which integrators
 * move by years and which would empty the inbox with one jump.
 */
import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { counter, createLogger } from '@jpki/observability';
import { MESSAGING_OPTIONS, type MessagingOptions } from './messaging-options';
import { WakeableLoop } from './wakeable-loop';

const DAY_MS = 86_400_000;

/** The longest any topic keeps a message that can reach a consumer again: the dead-letter retention (30 days). */
export const LONGEST_REDELIVERY_WINDOW_MS = 30 * DAY_MS;
export const DEFAULT_INBOX_RETENTION_MS = 35 * DAY_MS;
const DEFAULT_PRUNE_INTERVAL_MS = 3_600_000;
const BATCH = 5_000;

export interface InboxPruneResult {
  deleted: number;
  batches: number;
}

/**
 * Deletes inbox rows processed more than `retentionMs` ago (database time), in batches of `batchSize` so that no
 * statement holds many locks or runs long. Safe on every replica at once: a row is deleted once.
 */
export async function pruneInbox(db: Pick<DataSource, 'query'>, retentionMs: number, batchSize = BATCH): Promise<InboxPruneResult> {
  if (!(retentionMs >= LONGEST_REDELIVERY_WINDOW_MS)) throw new Error(`inbox retention of ${retentionMs} ms is shorter than the longest redelivery window`);
  let deleted = 0;
  let batches = 0;
  for (;;) {
    const [, count] = (await db.query(
      `DELETE FROM inbox WHERE ctid = ANY(ARRAY(
         SELECT ctid FROM inbox WHERE processed_at < now() - make_interval(secs => $1::double precision) LIMIT $2 FOR UPDATE SKIP LOCKED))`,
      [retentionMs / 1000, batchSize],
    )) as [unknown, number];
    batches += 1;
    deleted += count;
    if (count < batchSize) return { deleted, batches };
  }
}

/** Prunes the service's inbox at start and then every hour (MessagingOptions.inboxRetentionMs). */
@Injectable()
export class InboxPruner implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log = createLogger('inbox-pruner');
  private readonly pruned = counter('inbox_rows_pruned_total', 'Inbox rows deleted after the retention period');
  private readonly loop = new WakeableLoop(
    () => this.prune().then(() => undefined),
    () => this.options.inboxPruneIntervalMs ?? DEFAULT_PRUNE_INTERVAL_MS,
    (err) => this.log.warn({ err }, 'inbox pruning failed; next round retries'),
  );

  constructor(
    @Inject(MESSAGING_OPTIONS) private readonly options: MessagingOptions,
    private readonly dataSource: DataSource,
  ) {}

  onApplicationBootstrap(): void {
    this.loop.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.loop.stop();
  }

  async prune(): Promise<InboxPruneResult> {
    const result = await pruneInbox(this.dataSource, this.options.inboxRetentionMs ?? DEFAULT_INBOX_RETENTION_MS);
    this.pruned.inc(result.deleted);
    if (result.deleted > 0) this.log.info({ deleted: result.deleted }, 'inbox pruned');
    return result;
  }
}
