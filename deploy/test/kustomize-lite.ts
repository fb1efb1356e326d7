/**
 * A small, strict subset of `kustomize build`, enough to render this repository's bases and overlays
 * in a unit test on machines without kubectl (where kubectl is installed, kustomize-lite.spec.ts checks that it renders
 * what `kubectl kustomize` renders). Supported: resources (files and directories), components,
 * configMapGenerator (`envs` files and `options.labels`; the content-hash name suffix, so that a changed
 * ConfigMap rolls the pods that reference it), patches (inline or `path`; strategic-merge documents or
 * JSON 6902 op lists; `target` by kind, name regex and label selector), namespace, namePrefix/nameSuffix
 * (with ConfigMap/Secret/Service/Deployment reference updates), labels (includeSelectors/includeTemplates),
 * replicas and images, applied in kustomize's order. Anything else in a kustomization file is an error, so the test never silently
 * renders something kustomize would render differently.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface K8sObject extends JsonObject {
  apiVersion: string;
  kind: string;
  metadata: JsonObject & { name: string; namespace?: string; labels?: Record<string, string> };
}

const KUSTOMIZATION_KEYS = new Set([
  'apiVersion',
  'kind',
  'resources',
  'components',
  'configMapGenerator',
  'patches',
  'namespace',
  'namePrefix',
  'nameSuffix',
  'labels',
  'replicas',
  'images',
]);

const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'PersistentVolume', 'StorageClass', 'PriorityClass']);

/** Every document of a YAML file as plain data; parse errors and warnings throw. */
export function parseYamlFile(file: string, opts: { merge?: boolean } = {}): Json[] {
  const docs = parseAllDocuments(readFileSync(file, 'utf8'), { merge: opts.merge ?? false, uniqueKeys: true });
  const out: Json[] = [];
  for (const doc of Array.isArray(docs) ? docs : [docs]) {
    const problems = [...doc.errors, ...doc.warnings];
    if (problems.length) throw new Error(`${file}: ${problems.map((p) => p.message).join('; ')}`);
    const value = doc.toJS({ maxAliasCount: 1000 }) as Json;
    if (value !== null && value !== undefined) out.push(value);
  }
  return out;
}

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function loadManifests(file: string): K8sObject[] {
  return parseYamlFile(file).map((doc, i) => {
    if (!isObject(doc) || typeof doc['apiVersion'] !== 'string' || typeof doc['kind'] !== 'string') {
      throw new Error(`${file} document ${i}: not a Kubernetes object (apiVersion/kind missing)`);
    }
    const meta = doc['metadata'];
    if (!isObject(meta) || typeof meta['name'] !== 'string' || !meta['name']) throw new Error(`${file} document ${i}: metadata.name missing`);
    return doc as K8sObject;
  });
}

export const idOf = (o: K8sObject): string => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;

interface Kustomization extends JsonObject {
  kind: string;
}

function readKustomization(dir: string): Kustomization {
  const file = join(dir, 'kustomization.yaml');
  if (!existsSync(file)) throw new Error(`${dir}: no kustomization.yaml`);
  const [k] = parseYamlFile(file);
  if (!isObject(k)) throw new Error(`${file}: empty`);
  for (const key of Object.keys(k)) if (!KUSTOMIZATION_KEYS.has(key)) throw new Error(`${file}: "${key}" is not supported by kustomize-lite`);
  return k as Kustomization;
}

const strings = (v: Json | undefined, what: string): string[] => {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new Error(`${what} must be a list of strings`);
  return v as string[];
};

export interface RenderOptions {
  /**
   * Components to apply after those the kustomization lists, as if appended to its `components` (paths relative to
   * `dir`): renders an overlay with an optional component switched on, as uncommenting its line would.
   */
  components?: string[];
}

/** Renders the kustomization in `dir` (a directory holding kustomization.yaml). */
export function render(dir: string, options: RenderOptions = {}): K8sObject[] {
  return applyNameHashes(build(dir, options.components ?? []));
}

function build(dir: string, extraComponents: string[] = []): K8sObject[] {
  const root = resolve(dir);
  const k = readKustomization(root);
  if (k.kind !== 'Kustomization') throw new Error(`${root}: kind ${k.kind}, expected Kustomization`);
  let objects = [...loadResources(root, k), ...generateConfigMaps(root, k)];
  for (const c of [...strings(k['components'], `${root} components`), ...extraComponents]) {
    const cdir = resolve(root, c);
    const ck = readKustomization(cdir);
    if (ck.kind !== 'Component') throw new Error(`${cdir}: kind ${ck.kind}, expected Component`);
    objects = transform(cdir, ck, [...objects, ...loadResources(cdir, ck), ...generateConfigMaps(cdir, ck)]);
  }
  objects = transform(root, k, objects);
  const seen = new Set<string>();
  for (const o of objects) {
    if (seen.has(idOf(o))) throw new Error(`${root}: duplicate ${idOf(o)}`);
    seen.add(idOf(o));
  }
  return objects;
}

function loadResources(dir: string, k: Kustomization): K8sObject[] {
  return strings(k['resources'], `${dir} resources`).flatMap((r) => {
    const p = resolve(dir, r);
    if (!existsSync(p)) throw new Error(`${dir}: resource ${r} does not exist`);
    return statSync(p).isDirectory() ? build(p) : loadManifests(p);
  });
}

// ---------------------------------------------------------------- configMapGenerator and name hashes

/** Marks generated ConfigMaps until the top-level build gives them their hash suffix (then it is removed). */
const NEEDS_HASH = 'kustomize-lite/needs-hash';

/** A kustomize env file: `KEY=value` lines; blank lines and `#` comments skipped; the value is taken verbatim. */
export function parseEnvFile(file: string): Record<string, string> {
  const data: Record<string, string> = {};
  for (const [i, raw] of readFileSync(file, 'utf8').replace(/^\uFEFF/, '').split('\n').entries()) {
    const line = raw.replace(/\r$/, '').trimStart();
    if (!line || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) throw new Error(`${file}:${i + 1}: expected KEY=value`);
    const key = line.slice(0, eq);
    if (!/^[-._a-zA-Z0-9]+$/.test(key)) throw new Error(`${file}:${i + 1}: "${key}" is not a valid ConfigMap key`);
    if (key in data) throw new Error(`${file}:${i + 1}: ${key} is set twice`);
    data[key] = line.slice(eq + 1);
  }
  return data;
}

function generateConfigMaps(dir: string, k: Kustomization): K8sObject[] {
  const entries = k['configMapGenerator'] ?? [];
  if (!Array.isArray(entries)) throw new Error(`${dir}: configMapGenerator must be a list`);
  return entries.map((entry, i) => {
    if (!isObject(entry) || typeof entry['name'] !== 'string') throw new Error(`${dir}: configMapGenerator ${i} needs a name`);
    for (const key of Object.keys(entry)) if (!['name', 'envs', 'options'].includes(key)) throw new Error(`${dir}: configMapGenerator "${key}" is not supported by kustomize-lite`);
    const options = isObject(entry['options']) ? entry['options'] : {};
    for (const key of Object.keys(options)) if (key !== 'labels') throw new Error(`${dir}: configMapGenerator option "${key}" is not supported by kustomize-lite`);
    const data = Object.assign({}, ...strings(entry['envs'], `${dir} configMapGenerator envs`).map((f) => parseEnvFile(resolve(dir, f)))) as Record<string, string>;
    const metadata: K8sObject['metadata'] = { name: entry['name'], annotations: { [NEEDS_HASH]: 'true' } };
    if (isObject(options['labels'])) metadata.labels = options['labels'] as Record<string, string>;
    return { apiVersion: 'v1', kind: 'ConfigMap', metadata, data };
  });
}

/** Go's json.Marshal: object keys sorted, <, > and & escaped (kustomize hashes that encoding). */
function goJson(v: Json): string {
  if (Array.isArray(v)) return `[${v.map(goJson).join(',')}]`;
  if (isObject(v)) return `{${Object.keys(v).sort().map((key) => `${goJson(key)}:${goJson(v[key])}`).join(',')}}`;
  return JSON.stringify(v).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/**
 * kustomize's ConfigMap name hash (api/hasher, kustomize v5): sha256 of the Go JSON of {kind: "ConfigMap", name, data},
 * first 10 hex digits, 0/1/3/a/e mapped to g/h/k/m/t. The name is always "": kustomize looks it up with
 * `yaml.Lookup("metadata/name")`, one path element named "metadata/name" that no object has, so the suffix depends on the
 * data only (two generated ConfigMaps with the same data get the same suffix, whatever their names).
 * Checked against `kubectl kustomize` (kustomize v5.5.0) in kustomize-lite.spec.ts.
 */
export function configMapHash(data: JsonObject): string {
  const hex = createHash('sha256').update(goJson({ kind: 'ConfigMap', name: '', data })).digest('hex');
  return hex.slice(0, 10).replace(/[013ae]/g, (c) => ({ 0: 'g', 1: 'h', 3: 'k', a: 'm', e: 't' })[c] as string);
}

function applyNameHashes(objects: K8sObject[]): K8sObject[] {
  const renamed = new Map<string, string>();
  for (const o of objects) {
    const annotations = o.metadata['annotations'];
    if (o.kind !== 'ConfigMap' || !isObject(annotations) || !(NEEDS_HASH in annotations)) continue;
    delete annotations[NEEDS_HASH];
    if (Object.keys(annotations).length === 0) delete o.metadata['annotations'];
    const next = `${o.metadata.name}-${configMapHash(isObject(o['data']) ? o['data'] : {})}`;
    renamed.set(`ConfigMap/${o.metadata.name}`, next);
    o.metadata.name = next;
  }
  updateReferences(objects, renamed);
  return objects;
}

function transform(dir: string, k: Kustomization, input: K8sObject[]): K8sObject[] {
  let objects = input.map((o) => structuredClone(o));
  objects = applyPatches(dir, k, objects);
  if (typeof k['namespace'] === 'string') {
    const ns = k['namespace'];
    for (const o of objects) if (!CLUSTER_SCOPED.has(o.kind)) o.metadata.namespace = ns;
  }
  objects = rename(objects, typeof k['namePrefix'] === 'string' ? k['namePrefix'] : '', typeof k['nameSuffix'] === 'string' ? k['nameSuffix'] : '');
  applyLabels(k, objects);
  applyReplicas(dir, k, objects);
  applyImages(k, objects);
  return objects;
}

// ---------------------------------------------------------------- patches

interface Target {
  kind?: string;
  name?: string;
  labelSelector?: string;
}

function matches(o: K8sObject, t: Target): boolean {
  if (t.kind && o.kind !== t.kind) return false;
  if (t.name && !new RegExp(`^(?:${t.name})$`).test(o.metadata.name)) return false;
  if (t.labelSelector) {
    for (const term of t.labelSelector.split(',')) {
      const [key, value] = term.split('=').map((s) => s.trim());
      if ((o.metadata.labels ?? {})[key] !== value) return false;
    }
  }
  return true;
}

function applyPatches(dir: string, k: Kustomization, objects: K8sObject[]): K8sObject[] {
  const patches = k['patches'] ?? [];
  if (!Array.isArray(patches)) throw new Error(`${dir}: patches must be a list`);
  for (const [i, entry] of patches.entries()) {
    if (!isObject(entry)) throw new Error(`${dir}: patch ${i} is not an object`);
    let text: string;
    if (typeof entry['path'] === 'string') {
      const file = resolve(dir, entry['path']);
      if (!existsSync(file)) throw new Error(`${dir}: patch file ${entry['path']} does not exist`);
      text = readFileSync(file, 'utf8');
    } else if (typeof entry['patch'] === 'string') text = entry['patch'];
    else throw new Error(`${dir}: patch ${i} has neither path nor patch`);
    const docs = parseAllDocuments(text);
    const parsed = (Array.isArray(docs) ? docs[0] : docs).toJS() as Json;
    const target = isObject(entry['target']) ? (entry['target'] as Target) : undefined;
    let selected: K8sObject[];
    if (target) selected = objects.filter((o) => matches(o, target));
    else {
      if (!isObject(parsed) || !isObject(parsed['metadata'])) throw new Error(`${dir}: patch ${i} without target must be a resource`);
      const kind = parsed['kind'];
      const name = parsed['metadata']['name'];
      selected = objects.filter((o) => o.kind === kind && o.metadata.name === name);
    }
    if (selected.length === 0) throw new Error(`${dir}: patch ${i} matches no resource`);
    for (const o of selected) {
      if (Array.isArray(parsed)) applyJson6902(o, parsed, `${dir} patch ${i}`);
      else if (isObject(parsed)) {
        const { metadata, ...rest } = parsed;
        const name = o.metadata.name;
        strategicMerge(o, rest);
        if (isObject(metadata)) strategicMerge(o.metadata, { ...metadata, name });
      } else throw new Error(`${dir}: patch ${i} is neither an op list nor a resource`);
    }
  }
  return objects;
}

function decodePointer(path: string): string[] {
  if (!path.startsWith('/')) throw new Error(`JSON pointer ${path} must start with /`);
  return path
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function applyJson6902(o: K8sObject, ops: Json[], where: string): void {
  for (const op of ops) {
    if (!isObject(op) || typeof op['op'] !== 'string' || typeof op['path'] !== 'string') throw new Error(`${where}: malformed op`);
    const parts = decodePointer(op['path']);
    const last = parts.pop() as string;
    let node: Json = o;
    for (const p of parts) {
      const next: Json | undefined = Array.isArray(node) ? node[Number(p)] : isObject(node) ? node[p] : undefined;
      if (next === undefined) throw new Error(`${where}: ${op['path']} does not exist in ${o.kind}/${o.metadata.name}`);
      node = next;
    }
    const value = structuredClone(op['value'] ?? null);
    if (Array.isArray(node)) {
      const index = last === '-' ? node.length : Number(last);
      if (!Number.isInteger(index) || index < 0 || index > node.length) throw new Error(`${where}: bad index in ${op['path']}`);
      if (op['op'] === 'add') node.splice(index, 0, value);
      else if (op['op'] === 'replace' && index < node.length) node[index] = value;
      else if (op['op'] === 'remove' && index < node.length) node.splice(index, 1);
      else throw new Error(`${where}: cannot ${op['op']} ${op['path']}`);
    } else if (isObject(node)) {
      if (op['op'] === 'add') node[last] = value;
      else if (op['op'] === 'replace' && last in node) node[last] = value;
      else if (op['op'] === 'remove' && last in node) delete node[last];
      else throw new Error(`${where}: cannot ${op['op']} ${op['path']} in ${o.kind}/${o.metadata.name}`);
    } else throw new Error(`${where}: ${op['path']} does not point into an object or list`);
  }
}

/** Strategic merge as kustomize does it for the fields used here: maps merge, lists of named items merge by name, other lists replace. */
function strategicMerge(target: JsonObject, patch: JsonObject): void {
  for (const [key, value] of Object.entries(patch)) {
    const current = target[key];
    if (value === null) delete target[key];
    else if (isObject(value) && isObject(current)) strategicMerge(current, value);
    else if (Array.isArray(value) && Array.isArray(current) && value.every((v) => isObject(v) && typeof v['name'] === 'string')) {
      for (const item of value as JsonObject[]) {
        const existing = current.find((c) => isObject(c) && c['name'] === item['name']);
        if (isObject(existing)) strategicMerge(existing, item);
        else current.push(structuredClone(item));
      }
    } else target[key] = structuredClone(value);
  }
}

// ---------------------------------------------------------------- names, labels, replicas, images

const REFERABLE = new Set(['ConfigMap', 'Secret', 'Service', 'Deployment']);

function podSpecOf(o: K8sObject): JsonObject | undefined {
  const template = isObject(o['spec']) ? o['spec']['template'] : undefined;
  return isObject(template) && isObject(template['spec']) ? template['spec'] : undefined;
}

export function containersOf(o: K8sObject): JsonObject[] {
  const spec = podSpecOf(o);
  if (!spec) return [];
  return [...(Array.isArray(spec['initContainers']) ? spec['initContainers'] : []), ...(Array.isArray(spec['containers']) ? spec['containers'] : [])].filter(isObject);
}

function rename(objects: K8sObject[], prefix: string, suffix: string): K8sObject[] {
  if (!prefix && !suffix) return objects;
  const renamed = new Map<string, string>();
  for (const o of objects) {
    if (o.kind === 'Namespace') continue;
    const next = `${prefix}${o.metadata.name}${suffix}`;
    if (REFERABLE.has(o.kind)) renamed.set(`${o.kind}/${o.metadata.name}`, next);
    o.metadata.name = next;
  }
  updateReferences(objects, renamed);
  return objects;
}

/** Points the pod templates' ConfigMap and Secret references at the new names (`Kind/old` → new). */
function updateReferences(objects: K8sObject[], renamed: Map<string, string>): void {
  const ref = (kind: string, holder: Json | undefined, field: string) => {
    if (isObject(holder) && typeof holder[field] === 'string') holder[field] = renamed.get(`${kind}/${holder[field]}`) ?? holder[field];
  };
  for (const o of objects) {
    for (const c of containersOf(o)) {
      for (const e of Array.isArray(c['envFrom']) ? c['envFrom'] : []) {
        if (!isObject(e)) continue;
        ref('ConfigMap', e['configMapRef'], 'name');
        ref('Secret', e['secretRef'], 'name');
      }
      for (const e of Array.isArray(c['env']) ? c['env'] : []) {
        const from = isObject(e) ? e['valueFrom'] : undefined;
        if (!isObject(from)) continue;
        ref('ConfigMap', from['configMapKeyRef'], 'name');
        ref('Secret', from['secretKeyRef'], 'name');
      }
    }
    const spec = podSpecOf(o);
    for (const v of spec && Array.isArray(spec['volumes']) ? spec['volumes'] : []) {
      if (!isObject(v)) continue;
      ref('ConfigMap', v['configMap'], 'name');
      ref('Secret', v['secret'], 'secretName');
    }
  }
}

function applyLabels(k: Kustomization, objects: K8sObject[]): void {
  const entries = k['labels'] ?? [];
  if (!Array.isArray(entries)) throw new Error('labels must be a list');
  for (const entry of entries) {
    if (!isObject(entry) || !isObject(entry['pairs'])) throw new Error('labels entries need pairs');
    const pairs = entry['pairs'] as Record<string, string>;
    const selectors = entry['includeSelectors'] === true;
    const templates = selectors || entry['includeTemplates'] === true;
    const add = (holder: JsonObject, key: string) => {
      holder[key] = { ...(isObject(holder[key]) ? (holder[key] as JsonObject) : {}), ...pairs };
    };
    for (const o of objects) {
      add(o.metadata, 'labels');
      const spec = isObject(o['spec']) ? o['spec'] : undefined;
      if (!spec) continue;
      if (templates && isObject(spec['template'])) {
        const tm = isObject(spec['template']['metadata']) ? spec['template']['metadata'] : (spec['template']['metadata'] = {});
        add(tm as JsonObject, 'labels');
      }
      if (!selectors) continue;
      if (o.kind === 'Service') add(spec, 'selector');
      if ((o.kind === 'Deployment' || o.kind === 'PodDisruptionBudget') && isObject(spec['selector'])) add(spec['selector'], 'matchLabels');
    }
  }
}

function applyReplicas(dir: string, k: Kustomization, objects: K8sObject[]): void {
  const entries = k['replicas'] ?? [];
  if (!Array.isArray(entries)) throw new Error('replicas must be a list');
  for (const entry of entries) {
    if (!isObject(entry) || typeof entry['name'] !== 'string' || typeof entry['count'] !== 'number') throw new Error('replicas entries need name and count');
    const hits = objects.filter((o) => ['Deployment', 'StatefulSet'].includes(o.kind) && o.metadata.name === entry['name']);
    if (hits.length === 0) throw new Error(`${dir}: replicas for unknown workload ${entry['name']}`);
    for (const o of hits) (o['spec'] as JsonObject)['replicas'] = entry['count'];
  }
}

/** `registry/name:tag@digest` → name part without tag or digest. */
export function imageName(image: string): string {
  const noDigest = image.split('@')[0];
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  return colon > slash ? noDigest.slice(0, colon) : noDigest;
}

function applyImages(k: Kustomization, objects: K8sObject[]): void {
  const entries = k['images'] ?? [];
  if (!Array.isArray(entries)) throw new Error('images must be a list');
  for (const entry of entries) {
    if (!isObject(entry) || typeof entry['name'] !== 'string') throw new Error('images entries need a name');
    for (const o of objects) {
      for (const c of containersOf(o)) {
        if (typeof c['image'] !== 'string' || imageName(c['image']) !== entry['name']) continue;
        const tag = c['image'].slice(imageName(c['image']).length);
        const name = typeof entry['newName'] === 'string' ? entry['newName'] : entry['name'];
        c['image'] = `${name}${typeof entry['newTag'] === 'string' ? `:${entry['newTag']}` : tag}`;
      }
    }
  }
}
