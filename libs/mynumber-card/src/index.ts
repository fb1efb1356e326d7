/**
 * @jpki/mynumber-card — the virtual My Number card of the SIMULATED JPKI platform: the card-file format the
 * device app keeps, and the "card chip" logic (password/PIN retry counters, signing with the card keys).
 */
export {
  CARD_SLOTS,
  CREDENTIAL_RULES,
  credentialFormatProblem,
  isValidSigningPassword,
  isValidUserAuthenticationPin,
  type CardSlot,
  type CredentialRule,
} from './lib/credentials';
export { CardError, CardStatusWord, type CardErrorReason } from './lib/errors';
export {
  checkScryptParameters,
  DEFAULT_SCRYPT_PARAMETERS,
  SCRYPT_LIMITS,
  unwrapKey,
  wrapKey,
  type ScryptParameters,
  type WrappedKey,
} from './lib/key-wrap';
export { CARD_FILE_FORMAT, cardFileSchema, parseCardFile, wrappedKeyAad, type CardFile, type CardSlotState } from './lib/card-file';
export { loadCardFile, saveCardFile } from './lib/card-file-store';
export { issueCardFile, type CardKeyMaterial, type IssueCardFileRequest } from './lib/issue-card-file';
export { VirtualMyNumberCard, type SlotStatus, type VerifyOutcome, type VirtualCardOptions } from './lib/virtual-card';
