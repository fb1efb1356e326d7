import type { CardSlot } from './credentials';

export type CardErrorReason =
  /** The card file does not parse, has an unknown format, or its keys do not match its certificates. */
  | 'CARD_FILE_INVALID'
  /** The password/PIN has the wrong format; the card does not count it as a try (the app refuses it first). */
  | 'CREDENTIAL_FORMAT_INVALID'
  /** Wrong password/PIN: one try used (`63Cx`, x = tries left). */
  | 'WRONG_CREDENTIAL'
  /** No tries left (`6983`). */
  | 'BLOCKED'
  /** The data to sign is not acceptable (e.g. a DigestInfo longer than the key allows). */
  | 'DATA_INVALID';

/** ISO 7816-4 status words as a JPKI card answers VERIFY / signing commands. */
export const CardStatusWord = {
  ok: '9000',
  blocked: '6983',
  wrongData: '6A80',
  wrongCredential: (triesRemaining: number) => `63C${Math.max(0, Math.min(15, triesRemaining)).toString(16).toUpperCase()}`,
} as const;

export class CardError extends Error {
  constructor(
    readonly reason: CardErrorReason,
    message: string,
    readonly statusWord?: string,
    readonly slot?: CardSlot,
    readonly triesRemaining?: number,
  ) {
    super(message);
    this.name = 'CardError';
  }
}
