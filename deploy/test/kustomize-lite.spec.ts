/** kustomize-lite's configMapGenerator: kustomize's content hash, references updated, overlays re-hash what they patch. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configMapHash, containersOf, render } from './kustomize-lite';

describe('configMapHash', () => {
  it("computes kustomize's name suffixes (vectors of kustomize api/hasher tests)", () => {
    expect(configMapHash('', {})).toBe('42745tchd9');
    expect(configMapHash('', { one: '' })).toBe('9g67k2htb6');
    expect(configMapHash('', { two: '2', one: '', three: '3' })).toBe('f5h7t85m9b');
  });
});

describe('configMapGenerator', () => {
  let dir: string;
  const write = (path: string, text: string) => {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  };
  const deployment = `apiVersion: apps/v1
kind: Deployment
metadata: { name: app }
spec:
  selector: { matchLabels: { app: app } }
  template:
    metadata: { labels: { app: app } }
    spec:
      containers:
        - name: app
          image: app:1
          envFrom: [{ configMapRef: { name: settings } }]
`;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kustomize-lite-'));
    write('base/deployment.yaml', deployment);
    write('base/settings.env', '# comment\n\nLOG_LEVEL=info\nEMPTY=\nURL=http://a:1/?x=y\n');
    write(
      'base/kustomization.yaml',
      'kind: Kustomization\nresources: [deployment.yaml]\nconfigMapGenerator:\n  - name: settings\n    envs: [settings.env]\n    options: { labels: { team: jpki } }\n',
    );
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const envFromOf = (objects: ReturnType<typeof render>) => (containersOf(objects.find((o) => o.kind === 'Deployment')!)[0]['envFrom'] as { configMapRef: { name: string } }[])[0].configMapRef.name;

  it('generates the ConfigMap with a content-hash name and points the pods at it', () => {
    const objects = render(join(dir, 'base'));
    const cm = objects.find((o) => o.kind === 'ConfigMap')!;
    expect(cm.metadata.name).toBe(`settings-${configMapHash('settings', { LOG_LEVEL: 'info', EMPTY: '', URL: 'http://a:1/?x=y' })}`);
    expect(cm['data']).toEqual({ LOG_LEVEL: 'info', EMPTY: '', URL: 'http://a:1/?x=y' });
    expect(cm.metadata).toEqual({ name: cm.metadata.name, labels: { team: 'jpki' } });
    expect(envFromOf(objects)).toBe(cm.metadata.name);
  });

  it('re-hashes after an overlay patch and a name suffix, so a changed value rolls the pods', () => {
    write(
      'overlay/kustomization.yaml',
      'kind: Kustomization\nresources: [../base]\nnameSuffix: -x\npatches:\n  - patch: |-\n      apiVersion: v1\n      kind: ConfigMap\n      metadata: { name: settings }\n      data: { LOG_LEVEL: debug }\n',
    );
    const base = render(join(dir, 'base')).find((o) => o.kind === 'ConfigMap')!;
    const objects = render(join(dir, 'overlay'));
    const cm = objects.find((o) => o.kind === 'ConfigMap')!;
    expect(cm.metadata.name).toBe(`settings-x-${configMapHash('settings-x', { LOG_LEVEL: 'debug', EMPTY: '', URL: 'http://a:1/?x=y' })}`);
    expect(cm.metadata.name).not.toBe(base.metadata.name);
    expect(envFromOf(objects)).toBe(cm.metadata.name);
  });

  it('refuses malformed env files and options it does not implement', () => {
    write('base/settings.env', 'LOG_LEVEL\n');
    expect(() => render(join(dir, 'base'))).toThrow(/settings.env:1: expected KEY=value/);
    write('base/settings.env', 'A=1\nA=2\n');
    expect(() => render(join(dir, 'base'))).toThrow(/A is set twice/);
    write('base/settings.env', 'A=1\n');
    write('base/kustomization.yaml', 'kind: Kustomization\nconfigMapGenerator:\n  - name: settings\n    envs: [settings.env]\n    behavior: merge\n');
    expect(() => render(join(dir, 'base'))).toThrow(/"behavior" is not supported/);
  });
});
