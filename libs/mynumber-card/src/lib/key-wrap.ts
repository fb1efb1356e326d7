/**
 * Private keys in the card file are wrapped under a key-encryption key derived from the password/PIN with
 * scrypt, then AES-256-GCM with associated data binding the wrapped key to its card, slot and certificate.
 * A wrong password/PIN is detected by the GCM tag: there is no separate verifier in the file.
 */
import { createCipheriv, createDecipheriv, randomBytes, scrypt as scryptCallback, type ScryptOptions } from 'node:crypto';

export interface ScryptParameters {
  /** CPU/memory cost, a power of two. */
  readonly N: number;
  readonly r: number;
  readonly p: number;
}

/** 2^15 × 8 × 128 B = 32 MiB and ~50–100 ms per derivation on a current core. */
export const DEFAULT_SCRYPT_PARAMETERS: ScryptParameters = { N: 2 ** 15, r: 8, p: 1 };

/** Bounds accepted when reading a file, so a hostile file cannot make the reader allocate gigabytes. */
export const SCRYPT_LIMITS = { minN: 2 ** 10, maxN: 2 ** 20, maxR: 16, maxP: 4 } as const;

export interface WrappedKey {
  readonly kdf: 'scrypt';
  readonly N: number;
  readonly r: number;
  readonly p: number;
  readonly salt: string;
  readonly cipher: 'A256GCM';
  readonly iv: string;
  readonly ciphertext: string;
  readonly tag: string;
}

function deriveKek(secret: string, salt: Buffer, params: ScryptParameters): Promise<Buffer> {
  const options: ScryptOptions = { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r + 1024 * 1024 };
  return new Promise((resolve, reject) =>
    scryptCallback(Buffer.from(secret.normalize('NFC'), 'utf8'), salt, 32, options, (error, key) => (error ? reject(error) : resolve(key))),
  );
}

export function checkScryptParameters(params: ScryptParameters): string | undefined {
  const { minN, maxN, maxR, maxP } = SCRYPT_LIMITS;
  const powerOfTwo = Number.isInteger(params.N) && params.N > 1 && (params.N & (params.N - 1)) === 0;
  if (!powerOfTwo || params.N < minN || params.N > maxN) return `scrypt N must be a power of two in [${minN}, ${maxN}]`;
  if (!Number.isInteger(params.r) || params.r < 1 || params.r > maxR) return `scrypt r must be in [1, ${maxR}]`;
  if (!Number.isInteger(params.p) || params.p < 1 || params.p > maxP) return `scrypt p must be in [1, ${maxP}]`;
  return undefined;
}

export async function wrapKey(plaintext: Buffer, secret: string, aad: string, params: ScryptParameters = DEFAULT_SCRYPT_PARAMETERS): Promise<WrappedKey> {
  const problem = checkScryptParameters(params);
  if (problem) throw new RangeError(problem);
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const kek = await deriveKek(secret, salt, params);
  const cipher = createCipheriv('aes-256-gcm', kek, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  kek.fill(0);
  return {
    kdf: 'scrypt',
    N: params.N,
    r: params.r,
    p: params.p,
    salt: salt.toString('base64'),
    cipher: 'A256GCM',
    iv: iv.toString('base64'),
    ciphertext: ciphertext.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
  };
}

/** The plaintext, or undefined when the secret (or the associated data) is wrong. */
export async function unwrapKey(wrapped: WrappedKey, secret: string, aad: string): Promise<Buffer | undefined> {
  const problem = checkScryptParameters(wrapped);
  if (problem) throw new RangeError(problem);
  const kek = await deriveKek(secret, Buffer.from(wrapped.salt, 'base64'), wrapped);
  try {
    const decipher = createDecipheriv('aes-256-gcm', kek, Buffer.from(wrapped.iv, 'base64'));
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(Buffer.from(wrapped.tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(wrapped.ciphertext, 'base64')), decipher.final()]);
  } catch {
    return undefined;
  } finally {
    kek.fill(0);
  }
}
