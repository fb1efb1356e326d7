import { signPkijs } from '../asn1/pkijs-interop';
import { lintingSigner } from '../issuance/linting-signer';
import { lintCrl } from '../lint/crl-lint';
import { LintRejectionError } from '../lint/lint-finding';
import { buildCertificateList, type BuildCrlRequest } from './crl';

/**
 * Issues a complete or delta CRL: lints a throwaway-signed copy first and throws LintRejectionError
 * (nothing signed with the CA key) on any finding.
 */
export async function issueCrl(request: BuildCrlRequest): Promise<Buffer> {
  const crl = buildCertificateList(request);
  const lintingCrl = await signPkijs(crl, await lintingSigner());
  const findings = lintCrl(lintingCrl, {
    issuerCertificate: request.issuer.certificate,
    signerPublicKeySpki: request.issuer.signer.publicKeySpki,
  });
  if (findings.length > 0) throw new LintRejectionError('crl', findings);
  return signPkijs(crl, request.issuer.signer);
}
