import { createPublicKey, verify } from 'node:crypto';
import { nodeHashName, rsaSignatureHash, type HashAlgorithmName } from '../asn1/oids';

/** RSASSA-PKCS1-v1_5 verification; false (never a throw) for bad keys, unsupported algorithms or bad signatures. */
export function verifyRsaSignature(params: {
  readonly publicKeySpki: Buffer;
  readonly signatureAlgorithmOid: string;
  readonly data: Buffer;
  readonly signature: Buffer;
}): boolean {
  const hash = rsaSignatureHash(params.signatureAlgorithmOid);
  if (!hash) return false;
  return verifyPkcs1Signature(params.publicKeySpki, hash, params.data, params.signature);
}

export function verifyPkcs1Signature(
  publicKeySpki: Buffer,
  hash: HashAlgorithmName,
  data: Buffer,
  signature: Buffer,
): boolean {
  try {
    const key = createPublicKey({ key: publicKeySpki, format: 'der', type: 'spki' });
    if (key.asymmetricKeyType !== 'rsa') return false;
    return verify(nodeHashName(hash), data, key, signature);
  } catch {
    return false;
  }
}
