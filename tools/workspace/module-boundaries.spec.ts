import { execFileSync, spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

const root = resolve(__dirname, '../..');
const bin = (name: string) => resolve(root, 'node_modules/.bin', name);

/** Lints a virtual file placed in a project with the real ESLint CLI, as if it had been written there. */
async function lint(file: string, code: string): Promise<string[]> {
  const run = spawnSync(bin('eslint'), ['--stdin', '--stdin-filename', resolve(root, file), '--format', 'json'], {
    cwd: root,
    input: code,
    encoding: 'utf8',
  });
  const [result] = JSON.parse(run.stdout) as { messages: { ruleId: string | null; message: string }[] }[];
  return result.messages.filter((m) => m.ruleId === '@nx/enforce-module-boundaries').map((m) => m.message);
}

describe('module boundaries are enforced by lint', () => {
  beforeAll(async () => {
    // The rule reads the cached project graph; make sure it exists (a fresh clone has none).
    execFileSync(bin('nx'), ['show', 'projects'], { cwd: root, env: { ...process.env, NX_DAEMON: 'false' }, stdio: 'ignore' });
  });

  it('refuses an app importing another app', async () => {
    const messages = await lint('apps/sp-tsm/src/boundary-probe.ts', "import { MnoTsmModule } from '../../mno-tsm/src/app.module';\nexport const x = MnoTsmModule;\n");
    expect(messages.length).toBeGreaterThan(0);
  });

  it('refuses a service importing another service scope’s library', async () => {
    const messages = await lint('apps/sp-tsm/src/boundary-probe.ts', "import { VirtualUicc } from '@jpki/uicc';\nexport const x = VirtualUicc;\n");
    expect(messages.join(' ')).toMatch(/scope:sp-tsm/);
  });

  it('refuses a domain library depending on infrastructure', async () => {
    const messages = await lint('libs/pki/src/boundary-probe.ts', "import { Outbox } from '@jpki/messaging';\nexport const x = Outbox;\n");
    expect(messages.join(' ')).toMatch(/type:domain/);
  });

  it('accepts a service using contracts and shared libraries', async () => {
    const messages = await lint(
      'apps/sp-tsm/src/boundary-probe.ts',
      "import { Topics } from '@jpki/contracts';\nimport { Outbox } from '@jpki/messaging';\nexport const x = [Topics, Outbox];\n",
    );
    expect(messages).toEqual([]);
  });
});
