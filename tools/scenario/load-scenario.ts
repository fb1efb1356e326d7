import { readFileSync } from 'node:fs';
import { isMap, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { scenarioSchema, semanticChecks, type Scenario, type ScenarioIssue } from './scenario-schema';

/** A scenario file refused before anything starts: every problem as `file:line:column: reason`. */
export class ScenarioFileError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
  }
}

/** Reads, parses and validates a scenario file; `citizens` overrides the population's size (`--subscribers`). */
export function loadScenario(file: string, overrides: { citizens?: number } = {}): Scenario {
  return parseScenario(readFileSync(file, 'utf8'), file, overrides);
}

export function parseScenario(text: string, file: string, overrides: { citizens?: number } = {}): Scenario {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const where = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return `${file}:${line}:${col}`;
  };
  if (doc.errors.length > 0) throw new ScenarioFileError(doc.errors.map((e) => `${where(e.pos[0])}: ${e.message.split('\n')[0]}`));
  const raw = doc.toJS() as unknown;
  const population = isObject(raw) ? raw['population'] : undefined;
  if (overrides.citizens !== undefined && isObject(population)) population['citizens'] = overrides.citizens;
  const parsed = scenarioSchema.safeParse(raw);
  const issues: ScenarioIssue[] = parsed.success
    ? semanticChecks(parsed.data)
    : parsed.error.issues.map((i) =>
        i.code === 'unrecognized_keys'
          ? { path: [...(i.path as (string | number)[]), i.keys[0]], atKey: true, message: `unknown field "${i.keys[0]}"` }
          : { path: i.path as (string | number)[], message: i.message },
      );
  if (issues.length > 0) throw new ScenarioFileError(issues.map((i) => `${where(offsetOf(doc, i))}: ${i.path.join('.') || '(document)'}: ${i.message}`));
  return parsed.data as Scenario;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/** Where an issue is in the text: the deepest node its path reaches (the key itself for `atKey`). */
function offsetOf(doc: Document, issue: ScenarioIssue): number {
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
