import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { CommandError } from '@jpki/jpki-client';
import { passwordOptions, signingPassword } from './signing-password';

const refusal = (f: () => unknown): CommandError => {
  try {
    f();
  } catch (error) {
    if (error instanceof CommandError) return error;
    throw error;
  }
  throw new Error('not refused');
};

describe('the card’s signing password: --password-file (owner-only) or JPKI_SIGNING_PASSWORD, never on the command line', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'device-password-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const passwordFile = (content: string, mode: number) => {
    const file = join(dir, 'password');
    writeFileSync(file, content);
    chmodSync(file, mode);
    return file;
  };

  it('reads an owner-only file (trimmed); the file wins over the environment variable, which is used without one', () => {
    const file = passwordFile('ABC123\n', 0o600);
    expect(signingPassword({ passwordFile: file }, {})).toBe('ABC123');
    expect(signingPassword({ passwordFile: file }, { JPKI_SIGNING_PASSWORD: 'XYZ789' })).toBe('ABC123');
    expect(signingPassword({}, { JPKI_SIGNING_PASSWORD: 'XYZ789' })).toBe('XYZ789');
  });

  it('refuses a file group or others can read, or that is missing or empty, naming the file and what to do', () => {
    const open = passwordFile('ABC123', 0o640);
    const refused = refusal(() => signingPassword({ passwordFile: open }, { JPKI_SIGNING_PASSWORD: 'XYZ789' }));
    expect(refused.message).toBe(`signing password file ${open} is readable by others: chmod 600 it (mode 0640; group and others may have no access)`);
    expect(refused.reason).toBe('PASSWORD_FILE_REFUSED');
    expect(refusal(() => signingPassword({ passwordFile: join(dir, 'absent') }, {})).message).toMatch(/^cannot read signing password file .*absent: ENOENT/);
    expect(refusal(() => signingPassword({ passwordFile: passwordFile(' \n', 0o600) }, {})).message).toBe(`signing password file ${join(dir, 'password')} is empty`);
  });

  it('refuses --password, without repeating it, pointing to the two ways; and says so when neither is given', () => {
    const given = refusal(() => signingPassword({ password: 'ABC123' }, { JPKI_SIGNING_PASSWORD: 'XYZ789' }));
    expect(given.reason).toBe('PASSWORD_ON_COMMAND_LINE');
    expect(given.message).toBe(
      '--password is refused: a password on the command line lands in the shell history and in ps; give it with --password-file <file> (chmod 600) or the JPKI_SIGNING_PASSWORD environment variable',
    );
    const missing = refusal(() => signingPassword({}, { JPKI_SIGNING_PASSWORD: '' }));
    expect(missing.reason).toBe('PASSWORD_MISSING');
    expect(missing.message).toBe('the card’s signing password is missing: give it with --password-file <file> (chmod 600) or the JPKI_SIGNING_PASSWORD environment variable');
  });

  it('a command takes --password-file; --password is out of its help but still parsed, so that it can be refused', () => {
    const command = passwordOptions(new Command('enroll').exitOverride(), 'the card’s signing password');
    expect(command.helpInformation()).toContain('--password-file <file>');
    expect(command.helpInformation()).not.toMatch(/--password </);
    expect(command.parse(['--password-file', 'p.txt'], { from: 'user' }).opts()).toEqual({ passwordFile: 'p.txt' });
    expect(passwordOptions(new Command('enroll'), '').parse(['--password', 'ABC123'], { from: 'user' }).opts()).toEqual({ password: 'ABC123' });
  });

  it('the CLI refuses --password before reaching the platform: {"error","reason"} under --json, the password not repeated', () => {
    const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'fatal' };
    delete env['JPKI_SIGNING_PASSWORD'];
    const run = spawnSync(
      process.execPath,
      ['-r', '@swc-node/register', join(__dirname, 'main.ts'), '--json', 'citizen-create', '--card', join(dir, 'alice.card'), '--password', 'ABC123', '--pin', '1234'],
      { cwd: join(__dirname, '../../..'), env, encoding: 'utf8', timeout: 60_000 },
    );
    expect(run.status).toBe(1);
    expect(JSON.parse(run.stdout.trim())).toEqual({ error: expect.stringContaining('--password-file <file> (chmod 600) or the JPKI_SIGNING_PASSWORD'), reason: 'PASSWORD_ON_COMMAND_LINE' });
    expect(run.stdout + run.stderr).not.toContain('ABC123');
  }, 60_000);
});
