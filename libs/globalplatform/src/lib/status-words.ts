/** ISO 7816-4 / GlobalPlatform status words used by this stack. */
export const Sw = {
  OK: 0x9000,
  WARNING_CARD_LOCKED: 0x6283,
  VERIFICATION_FAILED: 0x6300,
  MORE_DATA_AVAILABLE: 0x6310,
  MEMORY_FAILURE: 0x6581,
  WRONG_LENGTH: 0x6700,
  LOGICAL_CHANNEL_NOT_SUPPORTED: 0x6881,
  SECURE_MESSAGING_NOT_SUPPORTED: 0x6882,
  COMMAND_CHAINING_NOT_SUPPORTED: 0x6884,
  SECURITY_STATUS_NOT_SATISFIED: 0x6982,
  AUTHENTICATION_METHOD_BLOCKED: 0x6983,
  REFERENCE_DATA_NOT_USABLE: 0x6984,
  CONDITIONS_OF_USE_NOT_SATISFIED: 0x6985,
  COMMAND_NOT_ALLOWED: 0x6986,
  APPLET_SELECT_FAILED: 0x6999,
  WRONG_DATA: 0x6a80,
  FUNCTION_NOT_SUPPORTED: 0x6a81,
  FILE_NOT_FOUND: 0x6a82,
  NOT_ENOUGH_MEMORY: 0x6a84,
  INCORRECT_P1P2: 0x6a86,
  REFERENCED_DATA_NOT_FOUND: 0x6a88,
  WRONG_P1P2: 0x6b00,
  INS_NOT_SUPPORTED: 0x6d00,
  CLA_NOT_SUPPORTED: 0x6e00,
  NO_PRECISE_DIAGNOSIS: 0x6f00,
} as const;

export interface SwInfo {
  readonly name: string;
  readonly description: string;
}

/** The fixed status words: SW → name and ISO 7816-4 / GP meaning. */
export const STATUS_WORDS: ReadonlyMap<number, SwInfo> = new Map<number, SwInfo>([
  [Sw.OK, { name: 'OK', description: 'Normal processing' }],
  [Sw.WARNING_CARD_LOCKED, { name: 'WARNING_CARD_LOCKED', description: 'Selected file invalidated; GP: card Life Cycle State is CARD_LOCKED' }],
  [Sw.VERIFICATION_FAILED, { name: 'VERIFICATION_FAILED', description: 'Verification failed; GP: host cryptogram rejected' }],
  [Sw.MORE_DATA_AVAILABLE, { name: 'MORE_DATA_AVAILABLE', description: 'More data available (GET STATUS next occurrence)' }],
  [Sw.MEMORY_FAILURE, { name: 'MEMORY_FAILURE', description: 'Memory failure' }],
  [Sw.WRONG_LENGTH, { name: 'WRONG_LENGTH', description: 'Wrong length (Lc/Le or APDU structure)' }],
  [Sw.LOGICAL_CHANNEL_NOT_SUPPORTED, { name: 'LOGICAL_CHANNEL_NOT_SUPPORTED', description: 'Logical channel not supported or not open' }],
  [Sw.SECURE_MESSAGING_NOT_SUPPORTED, { name: 'SECURE_MESSAGING_NOT_SUPPORTED', description: 'Secure messaging not supported' }],
  [Sw.COMMAND_CHAINING_NOT_SUPPORTED, { name: 'COMMAND_CHAINING_NOT_SUPPORTED', description: 'Command chaining not supported' }],
  [Sw.SECURITY_STATUS_NOT_SATISFIED, { name: 'SECURITY_STATUS_NOT_SATISFIED', description: 'Security status not satisfied' }],
  [Sw.AUTHENTICATION_METHOD_BLOCKED, { name: 'AUTHENTICATION_METHOD_BLOCKED', description: 'Authentication method blocked (PIN or keyset)' }],
  [Sw.REFERENCE_DATA_NOT_USABLE, { name: 'REFERENCE_DATA_NOT_USABLE', description: 'Reference data not usable (not initialised)' }],
  [Sw.CONDITIONS_OF_USE_NOT_SATISFIED, { name: 'CONDITIONS_OF_USE_NOT_SATISFIED', description: 'Conditions of use not satisfied (life cycle or sequence)' }],
  [Sw.COMMAND_NOT_ALLOWED, { name: 'COMMAND_NOT_ALLOWED', description: 'Command not allowed (no current application or EF)' }],
  [Sw.APPLET_SELECT_FAILED, { name: 'APPLET_SELECT_FAILED', description: 'Application selection failed' }],
  [Sw.WRONG_DATA, { name: 'WRONG_DATA', description: 'Incorrect parameters in the command data field' }],
  [Sw.FUNCTION_NOT_SUPPORTED, { name: 'FUNCTION_NOT_SUPPORTED', description: 'Function not supported (e.g. card is CARD_LOCKED)' }],
  [Sw.FILE_NOT_FOUND, { name: 'FILE_NOT_FOUND', description: 'Application or file not found' }],
  [Sw.NOT_ENOUGH_MEMORY, { name: 'NOT_ENOUGH_MEMORY', description: 'Not enough memory space' }],
  [Sw.INCORRECT_P1P2, { name: 'INCORRECT_P1P2', description: 'Incorrect parameters P1-P2' }],
  [Sw.REFERENCED_DATA_NOT_FOUND, { name: 'REFERENCED_DATA_NOT_FOUND', description: 'Referenced data (key, AID, tag) not found' }],
  [Sw.WRONG_P1P2, { name: 'WRONG_P1P2', description: 'Wrong parameters P1-P2 (offset outside the EF)' }],
  [Sw.INS_NOT_SUPPORTED, { name: 'INS_NOT_SUPPORTED', description: 'Instruction code not supported or invalid' }],
  [Sw.CLA_NOT_SUPPORTED, { name: 'CLA_NOT_SUPPORTED', description: 'Class not supported' }],
  [Sw.NO_PRECISE_DIAGNOSIS, { name: 'NO_PRECISE_DIAGNOSIS', description: 'No precise diagnosis (internal error)' }],
]);

/** Name and meaning of a status word, including the 61xx and 63Cx families; undefined when the SW is not ours. */
export function describeSw(sw: number): SwInfo | undefined {
  if (sw >> 8 === 0x61) {
    const remaining = sw & 0xff || 256;
    return { name: 'BYTES_REMAINING', description: `${remaining} response bytes still available (GET RESPONSE)` };
  }
  if ((sw & 0xfff0) === 0x63c0) {
    return { name: 'VERIFICATION_FAILED_RETRIES', description: `Verification failed, ${sw & 0x0f} tries left` };
  }
  return STATUS_WORDS.get(sw);
}

export function isDefinedSw(sw: number): boolean {
  return describeSw(sw) !== undefined;
}

/** 9000, 62xx and 63xx: the responses SCP03 protects; every other SW is an error returned bare. */
export function isSuccessOrWarning(sw: number): boolean {
  const sw1 = sw >> 8;
  return sw === Sw.OK || sw1 === 0x62 || sw1 === 0x63;
}

export function sw63Cx(triesRemaining: number): number {
  return 0x63c0 | Math.max(0, Math.min(triesRemaining, 0x0f));
}

export function sw61xx(remainingBytes: number): number {
  return 0x6100 | (remainingBytes >= 256 ? 0 : remainingBytes);
}

export function formatSw(sw: number): string {
  const hex = sw.toString(16).toUpperCase().padStart(4, '0');
  const info = describeSw(sw);
  return info ? `${hex} (${info.name})` : hex;
}
