/**
 * EC P-256 (secp256r1 / prime256v1) keys: the only curve an iPhone Secure Enclave offers, hence the
 * only EC curve the platform accepts (phone certificates of iPhones, the SIMULATED device-attestation CA).
 */
import { createPublicKey, generateKeyPair, KeyObject, type KeyPairKeyObjectResult } from 'node:crypto';
import { promisify } from 'node:util';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { parsePkijs } from '../asn1/pkijs-interop';
import { Oid } from '../asn1/oids';
import { KeyFormatError } from './rsa-keys';
import { SoftwareSigner } from './signer';

/** Node's and OpenSSL's name for NIST P-256. */
export const P256_CURVE = 'prime256v1';

/** A NIST P-256 key pair (~0.03 ms). */
export function generateEcP256KeyPair(): Promise<KeyPairKeyObjectResult> {
  return promisify(generateKeyPair)('ec', { namedCurve: P256_CURVE });
}

export interface EcP256PublicKey {
  /** The uncompressed point `04 ‖ X ‖ Y` (65 bytes), as the subjectPublicKey BIT STRING carries it. */
  readonly point: Buffer;
}

/**
 * Checks that a SubjectPublicKeyInfo is `id-ecPublicKey` with the `prime256v1` named curve (RFC 5480:
 * no explicit parameters) and an uncompressed point on the curve; returns the point.
 */
export function parseEcP256Spki(spki: Buffer): EcP256PublicKey {
  let point: Buffer;
  try {
    const { algorithm, subjectPublicKey } = parsePkijs(pkijs.PublicKeyInfo, spki, 'SubjectPublicKeyInfo');
    if (algorithm.algorithmId !== Oid.ecPublicKey) throw new KeyFormatError('not an id-ecPublicKey key');
    const curve = algorithm.algorithmParams;
    if (!(curve instanceof asn1js.ObjectIdentifier) || curve.valueBlock.toString() !== Oid.prime256v1) {
      throw new KeyFormatError('EC key is not on the prime256v1 (P-256) named curve');
    }
    point = Buffer.from(subjectPublicKey.valueBlock.valueHexView);
  } catch (error) {
    if (error instanceof KeyFormatError) throw error;
    throw new KeyFormatError(`malformed EC SubjectPublicKeyInfo: ${(error as Error).message}`);
  }
  if (point.length !== 65 || point[0] !== 0x04) throw new KeyFormatError('EC point is not an uncompressed P-256 point (04 ‖ X ‖ Y)');
  try {
    createPublicKey({ key: spki, format: 'der', type: 'spki' });
  } catch (error) {
    throw new KeyFormatError(`EC point is not on P-256: ${(error as Error).message}`);
  }
  return { point };
}

/** True when the SPKI is a well-formed P-256 key. */
export function isEcP256Spki(spki: Buffer): boolean {
  try {
    parseEcP256Spki(spki);
    return true;
  } catch {
    return false;
  }
}

/** Signer over a node:crypto P-256 private key: ECDSA with SHA-256, DER signatures. */
export class SoftwareEcdsaSigner extends SoftwareSigner {
  readonly signatureAlgorithm = 'ecdsa-with-SHA256' as const;

  constructor(privateKey: KeyObject) {
    const p256 = privateKey.asymmetricKeyType === 'ec' && privateKey.asymmetricKeyDetails?.namedCurve === P256_CURVE;
    super(privateKey, p256, 'SoftwareEcdsaSigner needs a P-256 private key');
  }

  static async generate(): Promise<SoftwareEcdsaSigner> {
    return new SoftwareEcdsaSigner((await generateEcP256KeyPair()).privateKey);
  }
}
