import { topicNamed, type Carrier } from '@jpki/contracts';
import { kafkaClient } from '@jpki/messaging';
import { DeadLetterArchive, RedriveLedger, type DeadLetter } from '@jpki/operations';
import { createLogger } from '@jpki/observability';
import type { ConsoleConfig } from './config';

export interface DeadLetterFigures {
  total: number;
  byReason: { reason: string; count: number }[];
  recent: { id: string; originalTopic: string; reason: string; messageType: string | null; failedBy: string | null; failedAt: string | null; detail: string }[];
  /** Set when the dead-letter topics could not be read (the figures are then empty, not zero). */
  error?: string;
}

/** Reading the dead-letter topics takes a consumer of its own: at most one read per this long, whoever asks. */
const CACHE_MS = 8_000;

/**
 * The platform's dead letters as the dashboards show them, read with the operators' dead-letter tool's own reader
 * (libs/operations `DeadLetterArchive`, as `npm run dlq -- list`): listing only, the console redrives nothing. A carrier
 * operator sees the dead letters of their carrier's topics (mno.<carrier>.*, ota.<carrier>.*); platform staff see all.
 */
export class DeadLetters {
  private readonly log = createLogger('console-dlq');
  private readonly archive: DeadLetterArchive;
  private readonly ledger: RedriveLedger;
  private cached?: { at: number; letters: Promise<DeadLetter[]> };

  constructor(config: Pick<ConsoleConfig, 'KAFKA_BROKERS' | 'KAFKA_TOPIC_PREFIX' | 'DATABASE_URL' | 'DLQ_LEDGER_SCHEMA'>) {
    // The ledger is only consulted by redrives (never here); its pool connects on first use.
    this.ledger = new RedriveLedger(config.DATABASE_URL, config.DLQ_LEDGER_SCHEMA);
    this.archive = new DeadLetterArchive(kafkaClient('console-dlq', config.KAFKA_BROKERS), config.KAFKA_TOPIC_PREFIX, this.ledger, 'console');
  }

  private letters(): Promise<DeadLetter[]> {
    if (!this.cached || Date.now() - this.cached.at > CACHE_MS) {
      const letters = this.archive.list();
      this.cached = { at: Date.now(), letters };
      letters.catch(() => (this.cached = undefined));
    }
    return this.cached.letters;
  }

  async figures(scope: Carrier | null): Promise<DeadLetterFigures> {
    let all: DeadLetter[];
    try {
      all = await this.letters();
    } catch (err) {
      this.log.warn({ err }, 'dead-letter topics not read');
      return { total: 0, byReason: [], recent: [], error: (err as Error).message.slice(0, 300) };
    }
    const mine = all.filter((d) => scope === null || topicNamed(d.originalTopic)?.carrier === scope);
    const byReason = new Map<string, number>();
    for (const d of mine) byReason.set(d.reason, (byReason.get(d.reason) ?? 0) + 1);
    return {
      total: mine.length,
      byReason: [...byReason].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count),
      recent: mine
        .slice(-10)
        .reverse()
        .map((d) => ({ id: d.id, originalTopic: d.originalTopic, reason: d.reason, messageType: d.messageType, failedBy: d.failedBy, failedAt: d.failedAt, detail: d.detail.split('\n')[0].slice(0, 160) })),
    };
  }

  async close(): Promise<void> {
    await this.ledger.close().catch(() => undefined);
  }
}
