/** Test helper: the OpenSSL CLI in a throwaway directory, the independent judge of the attestation chain. */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export class OpenSslWorkspace {
  private constructor(readonly directory: string) {}

  static async create(): Promise<OpenSslWorkspace> {
    return new OpenSslWorkspace(await mkdtemp(join(tmpdir(), 'jpki-iphone-openssl-')));
  }

  async write(name: string, data: Buffer | string): Promise<void> {
    await writeFile(join(this.directory, name), data);
  }

  run(args: readonly string[]): Promise<{ code: number; stdout: string; output: string }> {
    return new Promise((resolve, reject) => {
      execFile('openssl', [...args], { cwd: this.directory, encoding: 'utf8', timeout: 15_000 }, (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') return reject(error);
        resolve({ code: error ? Number(error.code) : 0, stdout, output: `${stdout}\n${stderr}` });
      });
    });
  }

  dispose(): Promise<void> {
    return rm(this.directory, { recursive: true, force: true });
  }
}
