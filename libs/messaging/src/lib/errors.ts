/**
 * A failure that no retry can fix (bad input, broken invariant): the message goes straight to the
 * dead-letter topic with this reason. Any other error is retried with backoff first.
 */
export class NonRetriableError extends Error {
  constructor(
    readonly reason: string,
    detail?: string,
  ) {
    super(detail ? `${reason}: ${detail}` : reason);
  }
}

export type DeadLetterReason =
  | 'MALFORMED_JSON'
  | 'ENVELOPE_INVALID'
  | 'UNKNOWN_MESSAGE_TYPE'
  | 'UNSUPPORTED_SCHEMA_VERSION'
  | 'PAYLOAD_INVALID'
  | 'RETRIES_EXHAUSTED'
  | string;
