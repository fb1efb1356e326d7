import { signTbs } from '../x509/signed-structure';
import { lintingSigner } from '../issuance/linting-signer';
import { lintCrl } from '../lint/crl-lint';
import { LintRejectionError } from '../lint/lint-finding';
import { buildTbsCertList, type BuildCrlRequest } from './crl';

/**
 * Issues a complete or delta CRL: lints a throwaway-signed copy first and throws LintRejectionError
 * (nothing signed with the CA key) on any finding.
 */
export async function issueCrl(request: BuildCrlRequest): Promise<Buffer> {
  const tbs = buildTbsCertList(request);
  const lintingCrl = await signTbs(tbs, await lintingSigner());
  const findings = lintCrl(lintingCrl, {
    issuerCertificate: request.issuer.certificate,
    signerPublicKeySpki: request.issuer.signer.publicKeySpki,
  });
  if (findings.length > 0) throw new LintRejectionError('crl', findings);
  return signTbs(tbs, request.issuer.signer);
}
