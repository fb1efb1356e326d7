import { verify } from 'node:crypto';
import { ecdsaSignatureHash, nodeHashName, rsaSignatureHash, type HashAlgorithmName } from '../asn1/oids';
import { importSpkiPublicKey } from './rsa-keys';

interface SignatureParams {
  readonly publicKeySpki: Buffer;
  readonly signatureAlgorithmOid: string;
  readonly data: Buffer;
  readonly signature: Buffer;
}

/** RSASSA-PKCS1-v1_5 verification; false (never a throw) for bad keys, unsupported algorithms or bad signatures. */
export function verifyRsaSignature(params: SignatureParams): boolean {
  const hash = rsaSignatureHash(params.signatureAlgorithmOid);
  return !!hash && verifyPkcs1Signature(params.publicKeySpki, hash, params.data, params.signature);
}

export function verifyPkcs1Signature(publicKeySpki: Buffer, hash: HashAlgorithmName, data: Buffer, signature: Buffer): boolean {
  return verifyWithKey('rsa', publicKeySpki, hash, data, signature);
}

/**
 * Verifies an X.509-style signature made with RSASSA-PKCS1-v1_5 or ECDSA (DER `ECDSA-Sig-Value`,
 * RFC 5758): the key type must match the algorithm. False (never a throw) for anything that does not verify.
 */
export function verifySignature(params: SignatureParams): boolean {
  if (rsaSignatureHash(params.signatureAlgorithmOid)) return verifyRsaSignature(params);
  const hash = ecdsaSignatureHash(params.signatureAlgorithmOid);
  return !!hash && verifyWithKey('ec', params.publicKeySpki, hash, params.data, params.signature);
}

/** False for a key of another type than `keyType`, an unparseable key or a bad signature (ECDSA signatures are DER). */
function verifyWithKey(keyType: 'rsa' | 'ec', publicKeySpki: Buffer, hash: HashAlgorithmName, data: Buffer, signature: Buffer): boolean {
  try {
    const key = importSpkiPublicKey(publicKeySpki);
    return key.asymmetricKeyType === keyType && verify(nodeHashName(hash), data, { key, dsaEncoding: 'der' }, signature);
  } catch {
    return false;
  }
}
