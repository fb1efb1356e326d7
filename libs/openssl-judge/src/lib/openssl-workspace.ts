import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface OpenSslResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout and stderr together: OpenSSL splits its verdicts between them. */
  readonly output: string;
}

/** The OpenSSL CLI in a throwaway directory: the independent judge of what the platform encodes, signs and serves. */
export class OpenSslWorkspace {
  private constructor(readonly directory: string) {}

  static async create(): Promise<OpenSslWorkspace> {
    return new OpenSslWorkspace(await mkdtemp(join(tmpdir(), 'jpki-openssl-')));
  }

  path(name: string): string {
    return join(this.directory, name);
  }

  async write(name: string, data: Buffer | string): Promise<string> {
    await writeFile(this.path(name), data);
    return this.path(name);
  }

  read(name: string): Promise<Buffer> {
    return readFile(this.path(name));
  }

  /** Runs `openssl <args>` in the workspace; never throws on a non-zero exit. */
  run(args: readonly string[]): Promise<OpenSslResult> {
    return new Promise((resolve, reject) => {
      execFile('openssl', [...args], { cwd: this.directory, encoding: 'utf8', timeout: 15_000 }, (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') return reject(error);
        const code = error ? Number(error.code) : 0;
        resolve({ code, stdout, stderr, output: `${stdout}\n${stderr}` });
      });
    });
  }

  async dispose(): Promise<void> {
    await rm(this.directory, { recursive: true, force: true });
  }
}
