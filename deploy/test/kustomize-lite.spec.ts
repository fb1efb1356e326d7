/**
 * kustomize-lite's configMapGenerator: kustomize's content hash, references updated, overlays re-hash what they patch;
 * and, where kubectl is installed, the same objects as `kubectl kustomize` for every overlay.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { configMapHash, containersOf, idOf, render, type K8sObject } from './kustomize-lite';

describe('configMapHash', () => {
  it("computes kustomize's name suffixes (vectors of kustomize api/hasher tests)", () => {
    expect(configMapHash({})).toBe('42745tchd9');
    expect(configMapHash({ one: '' })).toBe('9g67k2htb6');
    expect(configMapHash({ two: '2', one: '', three: '3' })).toBe('f5h7t85m9b');
  });

  it('matches the suffix kustomize v5.5.0 gave a generated ConfigMap, which depends on the data and not on the name', () => {
    // `kubectl kustomize` (kubectl v1.32.4, kustomize v5.5.0) of a kustomization with
    //   configMapGenerator: [{ name: settings, envs: [s.env] }]   and s.env = "A=1\n"
    // rendered ConfigMap settings-89g4tffbfk. Hashing the name too (what kustomize-lite did before) gives 5bftf925t6.
    expect(configMapHash({ A: '1' })).toBe('89g4tffbfk');
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
    // `kubectl kustomize base` (kustomize v5.5.0) of this very fixture named it settings-4g67ttbk6g.
    expect(cm.metadata.name).toBe('settings-4g67ttbk6g');
    expect(cm.metadata.name).toBe(`settings-${configMapHash({ LOG_LEVEL: 'info', EMPTY: '', URL: 'http://a:1/?x=y' })}`);
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
    // `kubectl kustomize overlay` (kustomize v5.5.0) of this fixture named it settings-x-85htg9g8d5.
    expect(cm.metadata.name).toBe('settings-x-85htg9g8d5');
    expect(cm.metadata.name).toBe(`settings-x-${configMapHash({ LOG_LEVEL: 'debug', EMPTY: '', URL: 'http://a:1/?x=y' })}`);
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

/** kubectl with its built-in kustomize, if this machine has it (without it, the comparison is skipped). */
const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
const withKubectl = kubectl.status === 0 ? describe : describe.skip;

withKubectl(`kustomize-lite against ${/Kustomize Version: (\S+)/.exec(kubectl.stdout ?? '')?.[1] ?? 'kubectl kustomize'}`, () => {
  const OVERLAYS = join(__dirname, '../overlays');
  const canonical = (o: K8sObject) => JSON.parse(JSON.stringify(o)) as K8sObject;

  const kubectlKustomize = (dir: string) => parseAllDocuments(execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8', maxBuffer: 64 << 20 })).map((d) => d.toJS() as K8sObject);
  /** kustomize sorts its output by kind; the objects are compared by identity. */
  const expectSameObjects = (lite: K8sObject[], real: K8sObject[]) => {
    const byId = (objects: K8sObject[]) => new Map(objects.map((o) => [idOf(o), canonical(o)]));
    expect([...byId(lite).keys()].sort()).toEqual([...byId(real).keys()].sort());
    for (const [id, o] of byId(real)) expect({ id, object: byId(lite).get(id) }).toEqual({ id, object: o });
  };

  it.each(readdirSync(OVERLAYS))('overlay %s: renders the objects `kubectl kustomize` renders, names and hashes included', (overlay) => {
    const dir = join(OVERLAYS, overlay);
    expectSameObjects(render(dir), kubectlKustomize(dir));
  });

  it('overlay prod with its tracing line uncommented: kubectl kustomize renders what render(prod, { components }) does', () => {
    const copy = mkdtempSync(join(tmpdir(), 'kustomize-tracing-'));
    try {
      cpSync(join(__dirname, '..'), join(copy, 'deploy'), { recursive: true, filter: (src) => !src.includes('node_modules') });
      const file = join(copy, 'deploy/overlays/prod/kustomization.yaml');
      const text = readFileSync(file, 'utf8');
      expect(text).toContain('\n  # - ../../components/tracing\n');
      writeFileSync(file, text.replace('\n  # - ../../components/tracing\n', '\n  - ../../components/tracing\n'));
      const real = kubectlKustomize(join(copy, 'deploy/overlays/prod'));
      expect(real.some((o) => o.kind === 'ConfigMap' && 'OTEL_EXPORTER_OTLP_ENDPOINT' in ((o['data'] as Record<string, string>) ?? {}))).toBe(true);
      expectSameObjects(render(join(OVERLAYS, 'prod'), { components: ['../../components/tracing'] }), real);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });
});
