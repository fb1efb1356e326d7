export interface LintFinding<Code extends string = string> {
  /** Machine-readable rule identifier, e.g. `RSA_KEY_TOO_SMALL`. */
  readonly code: Code;
  readonly message: string;
}

export function finding<Code extends string>(code: Code, message: string): LintFinding<Code> {
  return { code, message };
}

/** Thrown when pre-issuance lint finds anything: nothing was signed with the real key. */
export class LintRejectionError<Code extends string = string> extends Error {
  constructor(
    readonly artefact: 'certificate' | 'crl',
    readonly findings: readonly LintFinding<Code>[],
  ) {
    super(`${artefact} rejected by pre-issuance lint: ${findings.map((f) => f.code).join(', ')}`);
    this.name = 'LintRejectionError';
  }
}
