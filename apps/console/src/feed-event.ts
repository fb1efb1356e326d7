import type { Carrier } from '@jpki/contracts';

/** One platform event as the console shows it: what happened, to whom, for which carrier (null: not known to be one carrier's). */
export interface FeedEvent {
  id: string;
  topic: string;
  type: string;
  producer: string;
  occurredAt: string;
  carrier: Carrier | null;
  /** The payload fields worth showing (ids, state, reason); never key material (the topics carry none). */
  fields: Record<string, string>;
}
