import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { ecdsaSignatureHash, nodeHashName, rsaSignatureHash, type HashAlgorithmName } from '../asn1/oids';

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
    const key = publicKeyOf(publicKeySpki);
    if (key.asymmetricKeyType !== 'rsa') return false;
    return verify(nodeHashName(hash), data, key, signature);
  } catch {
    return false;
  }
}

/**
 * Verifies an X.509-style signature made with RSASSA-PKCS1-v1_5 or ECDSA (DER `ECDSA-Sig-Value`,
 * RFC 5758): the key type must match the algorithm. False (never a throw) for anything that does not verify.
 */
export function verifySignature(params: {
  readonly publicKeySpki: Buffer;
  readonly signatureAlgorithmOid: string;
  readonly data: Buffer;
  readonly signature: Buffer;
}): boolean {
  if (rsaSignatureHash(params.signatureAlgorithmOid)) return verifyRsaSignature(params);
  const hash = ecdsaSignatureHash(params.signatureAlgorithmOid);
  if (!hash) return false;
  return verifyEcdsaSignature(params.publicKeySpki, hash, params.data, params.signature);
}

/** ECDSA verification with a DER-encoded signature; false for non-EC keys or bad signatures. */
export function verifyEcdsaSignature(publicKeySpki: Buffer, hash: HashAlgorithmName, data: Buffer, signature: Buffer): boolean {
  try {
    const key = publicKeyOf(publicKeySpki);
    if (key.asymmetricKeyType !== 'ec') return false;
    return verify(nodeHashName(hash), data, { key, dsaEncoding: 'der' }, signature);
  } catch {
    return false;
  }
}

/** Keys imported lately, by SubjectPublicKeyInfo: the issuers of a chain verify signatures on every request. */
const recentKeys = new Map<string, KeyObject>();
const RECENT_KEYS = 256;

function publicKeyOf(spki: Buffer): KeyObject {
  const id = spki.toString('latin1');
  const known = recentKeys.get(id);
  if (known) return known;
  const key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
  if (recentKeys.size >= RECENT_KEYS) recentKeys.delete(recentKeys.keys().next().value as string);
  recentKeys.set(id, key);
  return key;
}
