import { SoftwareRsaSigner, type Signer } from '../keys/signer';

let lintingSignerPromise: Promise<Signer> | undefined;

/**
 * Process-wide throwaway RSA-2048 key that signs "linting" certificates and CRLs (Boulder's
 * linter/linter.go idea): the artefact is complete and parseable, yet worthless to anyone who sees it.
 */
export function lintingSigner(): Promise<Signer> {
  lintingSignerPromise ??= SoftwareRsaSigner.generate(2048);
  return lintingSignerPromise;
}
