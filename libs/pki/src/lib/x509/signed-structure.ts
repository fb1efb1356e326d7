import { algorithmIdentifier, bitString, nullValue, sequence } from '../asn1/der-writer';
import { Oid } from '../asn1/oids';
import type { Signer } from '../keys/signer';

/** sha256WithRSAEncryption with the NULL parameters RFC 4055 requires. */
export function sha256WithRsaAlgorithm(): Buffer {
  return algorithmIdentifier(Oid.sha256WithRsaEncryption, nullValue());
}

/** ecdsa-with-SHA256 with absent parameters (RFC 5758 §3.2). */
export function ecdsaWithSha256Algorithm(): Buffer {
  return algorithmIdentifier(Oid.ecdsaWithSha256);
}

/** The AlgorithmIdentifier of a Signer's signatures: sha256WithRSAEncryption unless it says ECDSA. */
export function signatureAlgorithmFor(signer: Pick<Signer, 'signatureAlgorithm'>): Buffer {
  return signer.signatureAlgorithm === 'ecdsa-with-SHA256' ? ecdsaWithSha256Algorithm() : sha256WithRsaAlgorithm();
}

/**
 * `SEQUENCE { tbs, signatureAlgorithm, BIT STRING signature }`: the envelope shared by Certificate,
 * CertificateList and CertificationRequest. The Signer signs exactly the given TBS bytes.
 */
export async function signTbs(tbs: Buffer, signer: Signer): Promise<Buffer> {
  const signature = await signer.sign(tbs);
  return sequence(tbs, signatureAlgorithmFor(signer), bitString(signature));
}
