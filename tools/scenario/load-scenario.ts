import { readFileSync } from 'node:fs';
import { LocatedFileError, parseLocatedYaml } from '@jpki/jpki-client';
import { scenarioSchema, semanticChecks, type Scenario } from './scenario-schema';

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
  try {
    return parseLocatedYaml(text, file, scenarioSchema, {
      prepare: (raw) => {
        const population = isObject(raw) ? raw['population'] : undefined;
        if (overrides.citizens !== undefined && isObject(population)) population['citizens'] = overrides.citizens;
      },
      refine: semanticChecks,
    }) as Scenario;
  } catch (err) {
    if (err instanceof LocatedFileError) throw new ScenarioFileError(err.problems);
    throw err;
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
