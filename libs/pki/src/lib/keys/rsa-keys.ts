import { createPrivateKey, createPublicKey, generateKeyPair, KeyObject, type KeyPairKeyObjectResult } from 'node:crypto';
import { promisify } from 'node:util';
import { toDer } from '../encoding/pem';

const generateKeyPairAsync = promisify(generateKeyPair);

export const DEFAULT_RSA_MODULUS_BITS = 2048;
export const RSA_PUBLIC_EXPONENT = 65537;

export type RsaKeyPair = KeyPairKeyObjectResult;

export class KeyFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyFormatError';
  }
}

/** RSA key pair (e = 65537) generated off the event loop; 2048-bit keygen takes ~50–550 ms. */
export async function generateRsaKeyPair(modulusBits = DEFAULT_RSA_MODULUS_BITS): Promise<RsaKeyPair> {
  return generateKeyPairAsync('rsa', { modulusLength: modulusBits, publicExponent: RSA_PUBLIC_EXPONENT });
}

export function exportSpkiDer(key: KeyObject): Buffer {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  return publicKey.export({ type: 'spki', format: 'der' });
}

export function exportPkcs8Der(privateKey: KeyObject): Buffer {
  return privateKey.export({ type: 'pkcs8', format: 'der' });
}

/** Private key from PKCS#8 DER or PEM. */
export function importPkcs8PrivateKey(input: Buffer | string): KeyObject {
  return createPrivateKey({ key: toDer(input, 'PRIVATE KEY'), format: 'der', type: 'pkcs8' });
}

/**
 * Public key from SubjectPublicKeyInfo DER or PEM. Keys imported lately are shared (KeyObjects are immutable): a chain's
 * issuers verify signatures on every request, and a CA reads a new subject key three times (CSR, signature, lint).
 */
export function importSpkiPublicKey(input: Buffer | string): KeyObject {
  const spki = toDer(input, 'PUBLIC KEY');
  const id = spki.toString('latin1');
  const known = recentKeys.get(id);
  if (known) return known;
  let key: KeyObject;
  try {
    key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
  } catch (error) {
    throw new KeyFormatError(`unparseable SubjectPublicKeyInfo: ${(error as Error).message}`);
  }
  if (recentKeys.size >= RECENT_KEYS) recentKeys.delete(recentKeys.keys().next().value as string);
  recentKeys.set(id, key);
  return key;
}

const recentKeys = new Map<string, KeyObject>();
const RECENT_KEYS = 256;

export interface PublicKeyDescription {
  readonly algorithm: 'RSA' | 'EC' | 'other';
  /** Node's key type name, e.g. `rsa`, `rsa-pss`, `ec`, `ed25519`. */
  readonly keyType: string;
  readonly modulusBits?: number;
  readonly publicExponent?: bigint;
  readonly namedCurve?: string;
}

/** Algorithm and size of a SubjectPublicKeyInfo, for policy checks and summaries. */
export function describePublicKey(spki: Buffer): PublicKeyDescription {
  const key = importSpkiPublicKey(spki);
  const keyType = key.asymmetricKeyType ?? 'unknown';
  const details = key.asymmetricKeyDetails ?? {};
  if (keyType === 'rsa') {
    return { algorithm: 'RSA', keyType, modulusBits: details.modulusLength, publicExponent: details.publicExponent };
  }
  if (keyType === 'ec') return { algorithm: 'EC', keyType, namedCurve: details.namedCurve };
  return { algorithm: 'other', keyType };
}
