/**
 * Validates rendered objects against the JSON schemas pinned in deploy/schemas (Kubernetes built-in kinds and the
 * CRDs of Strimzi, CloudNativePG, KEDA, the Prometheus Operator and the Gateway API), like kubeconform -strict.
 * An object of a kind no pinned schema covers is an error, so a new kind cannot slip through unvalidated.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import { type K8sObject } from './kustomize-lite';

export const SCHEMA_DIR = join(__dirname, '../schemas');

interface PinnedFile {
  kinds: Record<string, unknown>;
  definitions?: Record<string, unknown>;
}

export interface SchemaValidator {
  /** `apiVersion/Kind` of every pinned schema. */
  readonly kinds: ReadonlySet<string>;
  /** Problems of one object ("" when it is valid). */
  problems(o: K8sObject): string;
}

/** CRD patterns are Go (RE2) regular expressions, where `(?i)` (case-insensitive) is a flag. */
const goRegExp = Object.assign((pattern: string, flags: string) => (pattern.includes('(?i)') ? new RegExp(pattern.replace('(?i)', ''), `${flags}i`) : new RegExp(pattern, flags)), {
  code: 'go-regexp',
});

export function loadSchemas(dir = SCHEMA_DIR): SchemaValidator {
  // Formats (int32, date-time, ...) are not checked; CEL rules (x-kubernetes-validations) are the API server's.
  const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true, code: { regExp: goRegExp } });
  const validators = new Map<string, ValidateFunction>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
    const pinned = JSON.parse(readFileSync(join(dir, file), 'utf8')) as PinnedFile;
    ajv.addSchema({ ...pinned, $id: file });
    for (const kind of Object.keys(pinned.kinds)) {
      if (validators.has(kind)) throw new Error(`${file}: ${kind} is pinned twice`);
      const validate = ajv.getSchema(`${file}#/kinds/${kind.replace(/~/g, '~0').replace(/\//g, '~1')}`);
      if (!validate) throw new Error(`${file}: cannot compile ${kind}`);
      validators.set(kind, validate);
    }
  }
  return {
    kinds: new Set(validators.keys()),
    problems(o) {
      const kind = `${o.apiVersion}/${o.kind}`;
      const validate = validators.get(kind);
      if (!validate) return `${kind}: no pinned schema`;
      if (validate(o)) return '';
      return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}${e.params && 'additionalProperty' in e.params ? ` (${String(e.params['additionalProperty'])})` : ''}`).join('; ');
    },
  };
}
