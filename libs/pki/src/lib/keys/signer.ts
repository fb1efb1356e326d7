import { createHash, createPublicKey, KeyObject, sign } from 'node:crypto';
import { promisify } from 'node:util';
import { exportSpkiDer, generateRsaKeyPair } from './rsa-keys';
import { verifyPkcs1Signature } from './signature-verification';

/**
 * Anything that can produce an RSASSA-PKCS1-v1_5 / SHA-256 signature: a software key today, a
 * PKCS#11 HSM session, a SIM applet or a virtual My Number card tomorrow.
 */
export interface Signer {
  /** SubjectPublicKeyInfo (DER) of the signing key. */
  readonly publicKeySpki: Buffer;
  /**
   * Absent or `sha256WithRSAEncryption`: RSASSA-PKCS1-v1_5 with SHA-256 (every JPKI key).
   * `ecdsa-with-SHA256`: ECDSA P-256 with SHA-256, DER `ECDSA-Sig-Value` (an iPhone Secure Enclave key,
   * the SIMULATED device-attestation CA).
   */
  readonly signatureAlgorithm?: SignatureAlgorithmName;
  /** Signs `data` (the whole message, not a digest) with the algorithm above. */
  sign(data: Buffer): Promise<Buffer>;
}

export type SignatureAlgorithmName = 'sha256WithRSAEncryption' | 'ecdsa-with-SHA256';

export class SignerError extends Error {
  constructor(
    readonly reason: 'SIGNER_KEY_UNSUPPORTED' | 'SIGNATURE_MISMATCH',
    message: string,
  ) {
    super(message);
    this.name = 'SignerError';
  }
}

/** Signer over a node:crypto private key: SHA-256, ECDSA signatures DER-encoded; signing runs on the libuv thread pool. */
export abstract class SoftwareSigner implements Signer {
  readonly publicKeySpki: Buffer;

  protected constructor(
    private readonly privateKey: KeyObject,
    suitable: boolean,
    refusal: string,
  ) {
    if (privateKey.type !== 'private' || !suitable) throw new SignerError('SIGNER_KEY_UNSUPPORTED', refusal);
    this.publicKeySpki = exportSpkiDer(createPublicKey(privateKey));
  }

  sign(data: Buffer): Promise<Buffer> {
    return promisify(sign)('sha256', data, { key: this.privateKey, dsaEncoding: 'der' });
  }
}

export class SoftwareRsaSigner extends SoftwareSigner {
  constructor(privateKey: KeyObject) {
    super(privateKey, privateKey.asymmetricKeyType === 'rsa', 'SoftwareRsaSigner needs an RSA private key');
  }

  static async generate(modulusBits?: number): Promise<SoftwareRsaSigner> {
    return new SoftwareRsaSigner((await generateRsaKeyPair(modulusBits)).privateKey);
  }
}

/** DER prefix of a SHA-256 DigestInfo (RFC 8017 §9.2 note 1): AlgorithmIdentifier sha256 with NULL parameters, OCTET STRING of 32. */
const SHA256_DIGEST_INFO_PREFIX = Buffer.from('3031300d060960864801650304020105000420', 'hex');

/** The DER DigestInfo a card applet's raw RSA operation pads and signs. */
export function sha256DigestInfo(data: Uint8Array): Buffer {
  return Buffer.concat([SHA256_DIGEST_INFO_PREFIX, createHash('sha256').update(data).digest()]);
}

export function isSha256DigestInfo(data: Buffer): boolean {
  return data.length === SHA256_DIGEST_INFO_PREFIX.length + 32 && data.subarray(0, SHA256_DIGEST_INFO_PREFIX.length).equals(SHA256_DIGEST_INFO_PREFIX);
}

/** Signs a DER DigestInfo with PKCS#1 v1.5 type-1 padding, e.g. a SIM applet's COMPUTE DIGITAL SIGNATURE. */
export type DigestInfoSignFunction = (digestInfo: Buffer) => Promise<Buffer>;

/**
 * Builds a `Signer` around a raw DigestInfo signing function. Every signature is verified against `publicKeySpki`
 * before it is returned: a card that signs with the wrong key or returns garbage is caught here, not by a relying party later.
 */
export function createDigestInfoSigner(publicKeySpki: Buffer, signDigestInfo: DigestInfoSignFunction): Signer {
  return {
    publicKeySpki,
    async sign(data: Buffer): Promise<Buffer> {
      const signature = await signDigestInfo(sha256DigestInfo(data));
      if (!verifyPkcs1Signature(publicKeySpki, 'SHA-256', data, signature)) {
        throw new SignerError('SIGNATURE_MISMATCH', 'DigestInfo signer returned a signature that does not verify');
      }
      return signature;
    },
  };
}
