/**
 * Writes the pinned JSON schemas the manifest test validates every rendered object against (see README.md here):
 *   node -r @swc-node/register deploy/schemas/pin-schemas.ts <out.json> --swagger <kubernetes swagger.json> <apiVersion/Kind>...
 *   node -r @swc-node/register deploy/schemas/pin-schemas.ts <out.json> --crds <crd.yaml>... -- <apiVersion/Kind>...
 * Only the kinds named are kept, descriptions are dropped, and every object schema that lists its properties and
 * does not say otherwise gets `additionalProperties: false`: a misspelt or misplaced field fails, as it does with
 * `kubectl apply` (strict server-side field validation) and kubeconform -strict.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';

type Schema = { [key: string]: unknown };
const isSchema = (v: unknown): v is Schema => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Drops descriptions and closes object schemas (CRD schemas that preserve unknown fields stay open). */
export function strictCopy(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(strictCopy);
  if (!isSchema(schema)) return schema;
  const out: Schema = {};
  for (const [k, v] of Object.entries(schema)) {
    if (k === 'description') continue;
    // A property map's keys are field names (one may be called "description"): copy them all.
    out[k] = k === 'properties' && isSchema(v) ? Object.fromEntries(Object.entries(v).map(([name, s]) => [name, strictCopy(s)])) : strictCopy(v);
  }
  if (isSchema(out['properties']) && out['additionalProperties'] === undefined && out['x-kubernetes-preserve-unknown-fields'] !== true) out['additionalProperties'] = false;
  return out;
}

/** Swagger 2 spells int-or-string and quantities as strings; the API server also accepts numbers there. */
const NUMBER_OR_STRING: Record<string, Schema> = {
  'io.k8s.apimachinery.pkg.util.intstr.IntOrString': { anyOf: [{ type: 'string' }, { type: 'integer' }] },
  'io.k8s.apimachinery.pkg.api.resource.Quantity': { anyOf: [{ type: 'string' }, { type: 'number' }] },
};

function kubernetes(swaggerFile: string, kinds: string[]): Schema {
  const definitions = (JSON.parse(readFileSync(swaggerFile, 'utf8')) as { definitions: Record<string, Schema> }).definitions;
  const keep: Record<string, unknown> = {};
  const visit = (name: string) => {
    if (name in keep) return;
    keep[name] = NUMBER_OR_STRING[name] ?? strictCopy(definitions[name]);
    for (const [, ref] of JSON.stringify(definitions[name]).matchAll(/"\$ref":"#\/definitions\/([^"]+)"/g)) visit(ref);
  };
  const index: Record<string, Schema> = {};
  for (const kind of kinds) {
    const name = Object.keys(definitions).find((n) => {
      const gvk = (definitions[n]['x-kubernetes-group-version-kind'] as { group: string; version: string; kind: string }[] | undefined) ?? [];
      return gvk.some((g) => `${g.group ? `${g.group}/` : ''}${g.version}/${g.kind}` === kind);
    });
    if (!name) throw new Error(`${swaggerFile}: no definition for ${kind}`);
    visit(name);
    index[kind] = { $ref: `#/definitions/${name}` };
  }
  return { kinds: index, definitions: keep };
}

function crds(files: string[], kinds: string[]): Schema {
  const index: Record<string, unknown> = {};
  for (const file of files) {
    for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
      const crd = doc.toJS() as { spec: { group: string; names: { kind: string }; versions: { name: string; schema: { openAPIV3Schema: Schema } }[] } };
      for (const v of crd.spec.versions) {
        const kind = `${crd.spec.group}/${v.name}/${crd.spec.names.kind}`;
        if (kinds.includes(kind)) index[kind] = strictCopy(v.schema.openAPIV3Schema);
      }
    }
  }
  const missing = kinds.filter((k) => !(k in index));
  if (missing.length) throw new Error(`no CRD version for ${missing.join(', ')}`);
  return { kinds: index };
}

function main(args: string[]): void {
  const [out, mode, ...rest] = args;
  if (mode === '--swagger') {
    const [swagger, ...kinds] = rest;
    writeFileSync(out, `${JSON.stringify(kubernetes(swagger, kinds))}\n`);
  } else if (mode === '--crds') {
    const split = rest.indexOf('--');
    writeFileSync(out, `${JSON.stringify(crds(rest.slice(0, split), rest.slice(split + 1)))}\n`);
  } else throw new Error('usage: pin-schemas.ts <out.json> --swagger <swagger.json> <apiVersion/Kind>... | --crds <crd.yaml>... -- <apiVersion/Kind>...');
}

if (require.main === module) main(process.argv.slice(2));
