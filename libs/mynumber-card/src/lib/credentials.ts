/**
 * JPKI credential rules (docs/DESIGN.md §3.4): the card 署名用 password is 6–16 characters of A–Z and 0–9 with at
 * least one of each, 5 consecutive tries; the card 利用者証明用 PIN is 4 digits, 3 consecutive tries. A correct
 * entry resets the consecutive-failure counter; a blocked credential stays blocked (reset at the municipal window).
 */
export type CardSlot = 'signing' | 'user-authentication';

export const CARD_SLOTS: readonly CardSlot[] = ['signing', 'user-authentication'];

export interface CredentialRule {
  readonly name: string;
  readonly maxTries: number;
  readonly pattern: RegExp;
  readonly description: string;
}

export const CREDENTIAL_RULES: Readonly<Record<CardSlot, CredentialRule>> = {
  signing: {
    name: 'signing password (署名用パスワード)',
    maxTries: 5,
    pattern: /^(?=[A-Z0-9]*[A-Z])(?=[A-Z0-9]*[0-9])[A-Z0-9]{6,16}$/,
    description: '6–16 characters, upper-case A–Z and digits 0–9, at least one of each',
  },
  'user-authentication': {
    name: 'user-authentication PIN (利用者証明用暗証番号)',
    maxTries: 3,
    pattern: /^[0-9]{4}$/,
    description: 'exactly 4 digits',
  },
};

/** Undefined when `value` is a well-formed credential for `slot`, otherwise what is wrong with it. */
export function credentialFormatProblem(slot: CardSlot, value: unknown): string | undefined {
  const rule = CREDENTIAL_RULES[slot];
  if (typeof value !== 'string' || !rule.pattern.test(value)) return `${rule.name} must be ${rule.description}`;
  return undefined;
}

export function isValidSigningPassword(value: unknown): value is string {
  return credentialFormatProblem('signing', value) === undefined;
}

export function isValidUserAuthenticationPin(value: unknown): value is string {
  return credentialFormatProblem('user-authentication', value) === undefined;
}
