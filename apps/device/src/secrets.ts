import { Option, type Command } from 'commander';
import { CommandError, readSecretFile } from '@jpki/jpki-client';

/**
 * Secrets never come from the command line, where they land in the shell history and in `ps`: each is given with
 * `--<flag>-file <file>` (the owner's alone, as a context's tokenFile) or an environment variable, the file winning;
 * `--<flag>` itself is still parsed, hidden from the help, only to be refused without its value being repeated.
 */
export interface Secret {
  /** The refused flag without its dashes, e.g. `pin`; the file flag is `--pin-file`. */
  flag: string;
  /** The environment variable that may hold it. */
  env: string;
  /** What it is, in messages: `PIN file … is readable by others`, `the PIN is missing`. */
  what: string;
  /** How the refusal speaks of it: `a PIN on the command line …`. */
  noun: string;
}

/** The card's signing password (citizen-create, enroll, iphone-enroll). */
export const SIGNING_PASSWORD: Secret = { flag: 'password', env: 'JPKI_SIGNING_PASSWORD', what: 'signing password', noun: 'a password' };
/** The card's user-authentication PIN (citizen-create) or the phone PIN (pin-set, authenticate). */
export const PIN: Secret = { flag: 'pin', env: 'JPKI_PIN', what: 'PIN', noun: 'a PIN' };
/** The phone's new PIN that enroll sets once the certificate is on the SIM. */
export const PHONE_PIN: Secret = { flag: 'phone-pin', env: 'JPKI_PHONE_PIN', what: 'phone PIN', noun: 'a PIN' };
/** The phone signing certificate's password (enroll: set on the phone, sign-document: to sign). */
export const PHONE_SIGNING_PASSWORD: Secret = {
  flag: 'phone-signing-password',
  env: 'JPKI_PHONE_SIGNING_PASSWORD',
  what: 'phone signing password',
  noun: 'a password',
};
/** The iPhone's device passcode (iphone-create, iphone-unlock). */
export const PASSCODE: Secret = { flag: 'passcode', env: 'JPKI_PASSCODE', what: 'device passcode', noun: 'a passcode' };

const fileOption = (s: Secret, purpose: string) => new Option(`--${s.flag}-file <file>`, `file holding ${purpose} (owner-only: chmod 600; or ${s.env})`);
const refusedOption = (s: Secret) =>
  new Option(`--${s.flag} <${s.flag}>`, `refused: ${s.noun} on the command line lands in the shell history and ps`).hideHelp();
const reason = (s: Secret, what: string) => `${s.flag.toUpperCase().replace(/-/g, '_')}_${what}`;
const how = (s: Secret) => `--${s.flag}-file <file> (chmod 600) or the ${s.env} environment variable`;

/**
 * For each secret and what it is for (in the help), `--<flag>-file <file>`, and `--<flag>` hidden from the help, to be
 * refused with the two ways to give the secret.
 */
export function secretOptions(command: Command, ...secrets: [Secret, string][]): Command {
  for (const [s, purpose] of secrets) command.addOption(fileOption(s, purpose)).addOption(refusedOption(s));
  return command;
}

/**
 * The secret: `--<flag>-file` wins over the environment variable; `--<flag>` is refused (`<FLAG>_ON_COMMAND_LINE`);
 * without either, `fallback` if there is one, else `<FLAG>_MISSING`.
 */
export function readSecret(o: Record<string, unknown>, s: Secret, env: NodeJS.ProcessEnv = process.env, fallback?: string): string {
  // Only whether the refused flag was given is looked at: its value is never repeated.
  if (o[refusedOption(s).attributeName()] !== undefined) {
    throw new CommandError(`--${s.flag} is refused: ${s.noun} on the command line lands in the shell history and in ps; give it with ${how(s)}`, reason(s, 'ON_COMMAND_LINE'));
  }
  const file = o[fileOption(s, '').attributeName()];
  if (typeof file === 'string') return readSecretFile(file, s.what, (message) => new CommandError(message, reason(s, 'FILE_REFUSED')));
  const fromEnv = env[s.env]?.trim();
  if (fromEnv) return fromEnv;
  if (fallback !== undefined) return fallback;
  throw new CommandError(`the ${s.what} is missing: give it with ${how(s)}`, reason(s, 'MISSING'));
}
