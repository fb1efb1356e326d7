import { Option, type Command } from 'commander';
import { CommandError, readSecretFile } from '@jpki/jpki-client';

/**
 * The card's signing password never comes from the command line, where it lands in the shell history and in `ps`:
 * `--password-file <file>` (the owner's alone, as a context's tokenFile) or JPKI_SIGNING_PASSWORD.
 */
export const SIGNING_PASSWORD_ENV = 'JPKI_SIGNING_PASSWORD';

const HOW = `--password-file <file> (chmod 600) or the ${SIGNING_PASSWORD_ENV} environment variable`;

export interface PasswordOptions {
  passwordFile?: string;
  /** The refused `--password`: only whether it was given is looked at, its value is never repeated. */
  password?: unknown;
}

/** `--password-file <file>`, and `--password` hidden from the help and refused with the two ways to give it. */
export function passwordOptions(command: Command, purpose: string): Command {
  return command
    .option('--password-file <file>', `file holding ${purpose} (owner-only: chmod 600; or ${SIGNING_PASSWORD_ENV})`)
    .addOption(new Option('--password <password>', 'refused: a password on the command line lands in the shell history and ps').hideHelp());
}

/** The signing password: `--password-file` wins over JPKI_SIGNING_PASSWORD; `--password` is refused. */
export function signingPassword(o: PasswordOptions, env: NodeJS.ProcessEnv = process.env): string {
  if (o.password !== undefined) {
    throw new CommandError(`--password is refused: a password on the command line lands in the shell history and in ps; give it with ${HOW}`, 'PASSWORD_ON_COMMAND_LINE');
  }
  if (o.passwordFile !== undefined) return readSecretFile(o.passwordFile, 'signing password', (message) => new CommandError(message, 'PASSWORD_FILE_REFUSED'));
  const fromEnv = env[SIGNING_PASSWORD_ENV]?.trim();
  if (fromEnv) return fromEnv;
  throw new CommandError(`the card’s signing password is missing: give it with ${HOW}`, 'PASSWORD_MISSING');
}
