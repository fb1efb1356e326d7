import { pkijsTbs, signedEnvelope } from '../asn1/pkijs-interop';
import { lintingSigner } from '../issuance/linting-signer';
import type { Signer } from '../keys/signer';
import { lintCrl } from '../lint/crl-lint';
import { LintRejectionError } from '../lint/lint-finding';
import { buildCertificateList, type BuildCrlRequest } from './crl';

/**
 * Issues a complete or delta CRL: lints a throwaway-signed copy first and throws LintRejectionError
 * (nothing signed with the CA key) on any finding.
 */
export async function issueCrl(request: BuildCrlRequest): Promise<Buffer> {
  const crl = buildCertificateList(request);
  const tbs = pkijsTbs(crl);
  const sign = async (signer: Signer) => signedEnvelope(tbs, crl.signatureAlgorithm, await signer.sign(tbs));
  const findings = lintCrl(await sign(await lintingSigner()), {
    issuerCertificate: request.issuer.certificate,
    signerPublicKeySpki: request.issuer.signer.publicKeySpki,
  });
  if (findings.length > 0) throw new LintRejectionError('crl', findings);
  return sign(request.issuer.signer);
}
