import { formatSw, Sw } from './status-words';

export class GpError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** An error that maps to the status word a card answers with. */
export class SwError extends GpError {
  constructor(
    readonly sw: number,
    message: string = formatSw(sw),
  ) {
    super(message);
  }
}

export class ApduFormatError extends SwError {
  constructor(message: string, sw: number = Sw.WRONG_LENGTH) {
    super(sw, message);
  }
}

export class TlvError extends SwError {
  constructor(message: string) {
    super(Sw.WRONG_DATA, message);
  }
}

/** Any secure-channel failure; on the card it aborts the session (GPC §10.2.3). */
export class SecureChannelError extends SwError {
  constructor(message: string, sw: number = Sw.SECURITY_STATUS_NOT_SATISFIED) {
    super(sw, message);
  }
}

/** Host side: the card answered with an unexpected status word. */
export class CardStatusError extends SwError {
  constructor(operation: string, sw: number) {
    super(sw, `${operation} failed: ${formatSw(sw)}`);
  }
}

/**
 * A predicted session (pseudo-random card challenge) met a card whose sequence counter differs from the host's
 * record: someone else opened a session on this keyset, or an earlier script's answer was lost. The card refused the
 * EXTERNAL AUTHENTICATE computed for the predicted counter; the next session can predict from `actual`.
 */
export class SequenceCounterMismatch extends SecureChannelError {
  constructor(
    readonly kvn: number,
    readonly predicted: number,
    readonly actual: number | undefined,
  ) {
    super(`the card used sequence counter ${actual ?? 'none'} with KVN ${kvn}, the host predicted ${predicted}`);
  }
}
