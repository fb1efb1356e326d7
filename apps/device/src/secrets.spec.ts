import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { CommandError } from '@jpki/jpki-client';
import { PASSCODE, PHONE_PIN, PIN, readSecret, secretOptions, SIGNING_PASSWORD, type Secret } from './secrets';

const refusal = (f: () => unknown): CommandError => {
  try {
    f();
  } catch (error) {
    if (error instanceof CommandError) return error;
    throw error;
  }
  throw new Error('not refused');
};

/** Each secret: the commander key of its file flag, its reason prefix and how the refusal speaks of it. */
const secrets: [Secret, { fileKey: string; flagKey: string; prefix: string; noun: string }][] = [
  [SIGNING_PASSWORD, { fileKey: 'passwordFile', flagKey: 'password', prefix: 'PASSWORD', noun: 'a password' }],
  [PIN, { fileKey: 'pinFile', flagKey: 'pin', prefix: 'PIN', noun: 'a PIN' }],
  [PHONE_PIN, { fileKey: 'phonePinFile', flagKey: 'phonePin', prefix: 'PHONE_PIN', noun: 'a PIN' }],
  [PASSCODE, { fileKey: 'passcodeFile', flagKey: 'passcode', prefix: 'PASSCODE', noun: 'a passcode' }],
];

describe('secrets: --<flag>-file (owner-only) or an environment variable, never on the command line', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'device-secrets-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const secretFile = (content: string, mode: number) => {
    const file = join(dir, 'secret');
    writeFileSync(file, content);
    chmodSync(file, mode);
    return file;
  };

  it('the flags and variables: --password-file / JPKI_SIGNING_PASSWORD, --pin-file / JPKI_PIN, --phone-pin-file / JPKI_PHONE_PIN, --passcode-file / JPKI_PASSCODE', () => {
    expect(secrets.map(([s]) => [s.flag, s.env])).toEqual([
      ['password', 'JPKI_SIGNING_PASSWORD'],
      ['pin', 'JPKI_PIN'],
      ['phone-pin', 'JPKI_PHONE_PIN'],
      ['passcode', 'JPKI_PASSCODE'],
    ]);
  });

  it.each(secrets.map(([s, k]) => [s.flag, s, k] as const))('--%s: reads an owner-only file (trimmed); the file wins over the environment variable, which is used without one', (_, s, { fileKey }) => {
    const file = secretFile('ABC123\n', 0o600);
    expect(readSecret({ [fileKey]: file }, s, {})).toBe('ABC123');
    expect(readSecret({ [fileKey]: file }, s, { [s.env]: 'XYZ789' })).toBe('ABC123');
    expect(readSecret({}, s, { [s.env]: ' XYZ789\n' })).toBe('XYZ789');
    // Another secret's file or variable is not this one's.
    const other = secrets.find(([o]) => o !== s)!;
    expect(refusal(() => readSecret({ [other[1].fileKey]: file }, s, { [other[0].env]: 'XYZ789' })).reason).toMatch(/_MISSING$/);
  });

  it('refuses a file group or others can read, or that is missing or empty, naming the file and what to do', () => {
    const open = secretFile('ABC123', 0o640);
    const refused = refusal(() => readSecret({ passwordFile: open }, SIGNING_PASSWORD, { JPKI_SIGNING_PASSWORD: 'XYZ789' }));
    expect(refused.message).toBe(`signing password file ${open} is readable by others: chmod 600 it (mode 0640; group and others may have no access)`);
    expect(refused.reason).toBe('PASSWORD_FILE_REFUSED');
    expect(refusal(() => readSecret({ pinFile: open }, PIN, {})).message).toBe(`PIN file ${open} is readable by others: chmod 600 it (mode 0640; group and others may have no access)`);
    expect(refusal(() => readSecret({ phonePinFile: open }, PHONE_PIN, {})).reason).toBe('PHONE_PIN_FILE_REFUSED');
    expect(refusal(() => readSecret({ passcodeFile: open }, PASSCODE, {}, '000000')).reason).toBe('PASSCODE_FILE_REFUSED');
    expect(refusal(() => readSecret({ pinFile: join(dir, 'absent') }, PIN, {})).message).toMatch(/^cannot read PIN file .*absent: ENOENT/);
    expect(refusal(() => readSecret({ phonePinFile: secretFile(' \n', 0o600) }, PHONE_PIN, {})).message).toBe(`phone PIN file ${join(dir, 'secret')} is empty`);
  });

  it.each(secrets.map(([s, k]) => [s.flag, s, k] as const))('--%s itself is refused, its value not repeated, pointing to the two ways; and missing says so too', (_, s, { flagKey, prefix, noun }) => {
    const given = refusal(() => readSecret({ [flagKey]: 'S3CR3T', [`${flagKey}File`]: 'unread' }, s, { [s.env]: 'XYZ789' }, 'fallback'));
    expect(given.reason).toBe(`${prefix}_ON_COMMAND_LINE`);
    expect(given.message).toBe(
      `--${s.flag} is refused: ${noun} on the command line lands in the shell history and in ps; give it with --${s.flag}-file <file> (chmod 600) or the ${s.env} environment variable`,
    );
    expect(given.message).not.toContain('S3CR3T');
    const missing = refusal(() => readSecret({}, s, { [s.env]: '' }));
    expect(missing.reason).toBe(`${prefix}_MISSING`);
    expect(missing.message).toBe(`the ${s.what} is missing: give it with --${s.flag}-file <file> (chmod 600) or the ${s.env} environment variable`);
  });

  it('a fallback (iphone-create’s passcode) is used only when neither the file nor the variable is given', () => {
    expect(readSecret({}, PASSCODE, {}, '000000')).toBe('000000');
    expect(readSecret({}, PASSCODE, { JPKI_PASSCODE: '246810' }, '000000')).toBe('246810');
    expect(readSecret({ passcodeFile: secretFile('135790', 0o600) }, PASSCODE, {}, '000000')).toBe('135790');
  });

  it('a command takes each --<flag>-file; the flags themselves are out of its help but still parsed, so that they can be refused', () => {
    const command = () => secretOptions(new Command('enroll').exitOverride(), [SIGNING_PASSWORD, 'the card’s signing password'], [PHONE_PIN, 'the phone’s new PIN']);
    const help = command().helpInformation();
    expect(help).toContain('--password-file <file>');
    expect(help).toContain('--phone-pin-file <file>');
    expect(help).toContain('JPKI_PHONE_PIN');
    expect(help).not.toMatch(/--password </);
    expect(help).not.toMatch(/--phone-pin </);
    expect(command().parse(['--password-file', 'p.txt', '--phone-pin-file', 'q.txt'], { from: 'user' }).opts()).toEqual({ passwordFile: 'p.txt', phonePinFile: 'q.txt' });
    expect(command().parse(['--password', 'ABC123', '--phone-pin', '4321'], { from: 'user' }).opts()).toEqual({ password: 'ABC123', phonePin: '4321' });
  });

  // Each command that takes a secret refuses it on its command line before reaching the platform or a file.
  const cli: [string, string[], string][] = [
    ['citizen-create', ['--card', 'alice.card', '--password', 'S3CR3T', '--pin-file', 'unread'], 'PASSWORD'],
    ['citizen-create', ['--card', 'alice.card', '--pin', 'S3CR3T'], 'PIN'],
    ['enroll', ['--card', 'alice.card', '--msisdn', '+819000000000', '--operator', 'docomo', '--handset', 'alice.phone', '--phone-pin', 'S3CR3T'], 'PHONE_PIN'],
    ['pin-set', ['--handset', 'alice.phone', '--pin', 'S3CR3T'], 'PIN'],
    ['authenticate', ['--handset', 'alice.phone', '--pin', 'S3CR3T'], 'PIN'],
    ['iphone-create', ['--device', 'iphone.json', '--passcode', 'S3CR3T'], 'PASSCODE'],
    ['iphone-unlock', ['--device', 'iphone.json', '--passcode', 'S3CR3T'], 'PASSCODE'],
  ];
  it.each(cli)('the CLI refuses it on %s (%j): {"error","reason"} under --json, the value not repeated', (command, args, prefix) => {
    const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'fatal', JPKI_SIGNING_PASSWORD: 'ABC123' };
    for (const name of ['JPKI_PIN', 'JPKI_PHONE_PIN', 'JPKI_PASSCODE']) delete env[name];
    const run = spawnSync(process.execPath, ['-r', '@swc-node/register', join(__dirname, 'main.ts'), '--json', command, ...args.map((a) => (a.includes('.') ? join(dir, a) : a))], {
      cwd: join(__dirname, '../../..'),
      env,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status).toBe(1);
    const flag = prefix.toLowerCase().replace(/_/g, '-');
    expect(JSON.parse(run.stdout.trim())).toEqual({ error: expect.stringContaining(`--${flag} is refused`), reason: `${prefix}_ON_COMMAND_LINE` });
    expect(JSON.parse(run.stdout.trim()).error).toContain(`--${flag}-file <file> (chmod 600) or the `);
    expect((run.stdout + run.stderr).split(dir).join('')).not.toContain('S3CR3T');
  }, 60_000);
});
