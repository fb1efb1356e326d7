import { isMap, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { z } from 'zod/v4';

/** One problem of a YAML (or JSON) file, located in the text: `path` to the value, or to the key itself (`atKey`). */
export interface LocatedIssue {
  path: (string | number)[];
  message: string;
  atKey?: boolean;
}

/** A file refused: every problem as `file:line:column: path: reason`. */
export class LocatedFileError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
  }
}

/** What a caller adds to the schema: changes to the raw document before validation, and checks before and after it. */
export interface LocatedChecks<S extends z.ZodType> {
  /** Changes the raw document before it is validated (e.g. a command-line override). */
  prepare?: (raw: unknown) => void;
  /** Problems the schema cannot express, found in the raw document. */
  extraChecks?: (raw: unknown) => LocatedIssue[];
  /** Problems found in a document the schema accepted. */
  refine?: (data: z.output<S>) => LocatedIssue[];
}

/**
 * Parses YAML text (JSON is YAML too) and validates it with `schema` and the caller's `checks`. Throws a
 * LocatedFileError naming the file, line and column of each problem.
 */
export function parseLocatedYaml<S extends z.ZodType>(text: string, file: string, schema: S, checks: LocatedChecks<S> = {}): z.output<S> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const where = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return `${file}:${line}:${col}`;
  };
  if (doc.errors.length > 0) throw new LocatedFileError(doc.errors.map((e) => `${where(e.pos[0])}: ${e.message.split('\n')[0]}`));
  const raw = doc.toJS() as unknown;
  checks.prepare?.(raw);
  const extra = checks.extraChecks?.(raw) ?? [];
  const parsed = schema.safeParse(raw);
  const schemaIssues: LocatedIssue[] = parsed.success
    ? (checks.refine?.(parsed.data as z.output<S>) ?? [])
    : parsed.error.issues.map((i) =>
        i.code === 'unrecognized_keys'
          ? { path: [...(i.path as (string | number)[]), i.keys[0]], atKey: true, message: i.message.startsWith('Unrecognized key') ? `unknown field "${i.keys[0]}"` : i.message }
          : { path: i.path as (string | number)[], message: i.message },
      );
  // An extra check's problem says more than the schema's about the same place.
  const said = new Set(extra.map((i) => i.path.join('.')));
  const issues = [...extra, ...schemaIssues.filter((i) => !said.has(i.path.join('.')))];
  if (issues.length > 0) {
    const located = issues.map((i) => ({ offset: offsetOf(doc, i), issue: i })).sort((a, b) => a.offset - b.offset);
    throw new LocatedFileError(located.map(({ offset, issue }) => `${where(offset)}: ${issue.path.join('.') || '(document)'}: ${issue.message}`));
  }
  return parsed.data as z.output<S>;
}

/** Where an issue is in the text: the deepest node its path reaches (the key itself for `atKey`). */
function offsetOf(doc: Document, issue: LocatedIssue): number {
  let node = doc.contents as Node | null;
  let offset = node?.range?.[0] ?? 0;
  for (const [i, segment] of issue.path.entries()) {
    const last = i === issue.path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => (p.key as { value?: unknown } | null)?.value === segment);
      if (!pair) break;
      const key = pair.key as Node;
      node = (last && issue.atKey ? key : (pair.value as Node | null)) ?? key;
    } else if (isSeq(node) && typeof segment === 'number' && node.items[segment]) {
      node = node.items[segment] as Node;
    } else break;
    offset = node.range?.[0] ?? offset;
  }
  return offset;
}
