import { algorithmIdentifier, bitString, nullValue, sequence } from '../asn1/der-writer';
import { Oid } from '../asn1/oids';
import type { Signer } from '../keys/signer';

/** sha256WithRSAEncryption with the NULL parameters RFC 4055 requires. */
export function sha256WithRsaAlgorithm(): Buffer {
  return algorithmIdentifier(Oid.sha256WithRsaEncryption, nullValue());
}

/**
 * `SEQUENCE { tbs, signatureAlgorithm, BIT STRING signature }`: the envelope shared by Certificate,
 * CertificateList and CertificationRequest. The Signer signs exactly the given TBS bytes.
 */
export async function signTbs(tbs: Buffer, signer: Signer): Promise<Buffer> {
  const signature = await signer.sign(tbs);
  return sequence(tbs, sha256WithRsaAlgorithm(), bitString(signature));
}
