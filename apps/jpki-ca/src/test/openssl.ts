import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface OpenSslResult {
  readonly code: number;
  readonly output: string;
}

/** The OpenSSL CLI in a throwaway directory: the independent judge of the CA's artefacts. */
export class OpenSsl {
  private constructor(readonly directory: string) {}

  static async create(): Promise<OpenSsl> {
    return new OpenSsl(await mkdtemp(join(tmpdir(), 'jpki-ca-openssl-')));
  }

  async write(name: string, data: Buffer | string): Promise<string> {
    const path = join(this.directory, name);
    await writeFile(path, data);
    return path;
  }

  run(args: readonly string[]): Promise<OpenSslResult> {
    return new Promise((resolve, reject) => {
      execFile('openssl', [...args], { cwd: this.directory, encoding: 'utf8', timeout: 15_000 }, (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') return reject(error);
        resolve({ code: error ? Number(error.code) : 0, output: `${stdout}\n${stderr}` });
      });
    });
  }

  dispose(): Promise<void> {
    return rm(this.directory, { recursive: true, force: true });
  }
}
