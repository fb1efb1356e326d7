import type { Command } from 'commander';
import { ApiError, HttpTimeoutError } from './http-json';
import { PlatformContextError } from './platform-context';

/** The `--context` option every platform CLI takes. */
export const CONTEXT_OPTION = {
  flags: '--context <file>',
  description: 'platform context file, YAML or JSON (or JPKI_CONTEXT; default: the local platform, tools/contexts/local.yaml)',
} as const;

/** A command refused before or by the platform, with a machine-readable reason. */
export class CommandError extends Error {
  constructor(
    message: string,
    readonly reason = 'COMMAND_REFUSED',
  ) {
    super(message);
  }
}

/** A failed call as a CommandError naming the call and the service's refusal reason. */
export function commandErrorOf(method: string, path: string, error: unknown): unknown {
  if (error instanceof ApiError) return new CommandError(`${method} ${path}: HTTP ${error.status} ${error.reason} — ${error.detail}`, error.reason);
  return error;
}

export interface CliFailure {
  error: string;
  reason: string;
}

/** What a CLI reports for an error: the message and a reason a script can branch on. */
export function cliFailure(error: unknown): CliFailure {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof CommandError) return { error: message, reason: error.reason };
  if (error instanceof ApiError) return { error: message, reason: error.reason };
  if (error instanceof PlatformContextError) return { error: message, reason: error.reason };
  if (error instanceof HttpTimeoutError) return { error: message, reason: 'TIMEOUT' };
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && code.startsWith('commander.')) return { error: message, reason: 'USAGE' };
  return { error: message, reason: 'FAILED' };
}

/** Whether the command line asks for machine-readable output (commander takes program options anywhere). */
export const wantsJson = (argv: readonly string[]): boolean => argv.includes('--json');

/** Under --json: `{ error, reason }` on stdout; otherwise `<prefix>error` on stderr. */
export function reportFailure(error: unknown, json: boolean, io: { out(line: string): void; err(line: string): void }, prefix = 'error: '): void {
  const failure = cliFailure(error);
  if (json) io.out(JSON.stringify(failure));
  else io.err(`${prefix}${failure.error}`);
}

/**
 * Runs a commander program built with exitOverride: exit 0 done, 1 failed or a usage error, 2 refused (by the platform,
 * by an invalid context, or a command that cannot be run as given). Failures are reported as `reportFailure` says.
 */
export async function runCommand(program: Command, argv: string[], io: { out(line: string): void; err(line: string): void }): Promise<number> {
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    const e = error as { code?: string; exitCode?: number };
    if (e.code?.startsWith('commander.')) {
      // commander has printed the usage error itself; scripts also get it on stdout.
      if (e.exitCode && wantsJson(argv)) reportFailure(error, true, io);
      return e.exitCode ?? 1;
    }
    reportFailure(error, wantsJson(argv), io);
    return error instanceof CommandError || error instanceof PlatformContextError ? 2 : 1;
  }
}
