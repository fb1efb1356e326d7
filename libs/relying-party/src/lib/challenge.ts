import { createHash, createPublicKey, randomBytes, verify, type KeyObject } from 'node:crypto';
import { decodeCertificate, formatDistinguishedName, formatSerialNumber } from '@jpki/pki';

/** Challenge size: 32 random bytes, as the applet and the iPhone key sign them (SHA-256 inside the signature). */
export const CHALLENGE_BYTES = 32;

export function newChallenge(): Buffer {
  return randomBytes(CHALLENGE_BYTES);
}

export type HolderKeyType = 'rsa' | 'ec';

/** What a relying party keeps about a holder's certificate (sessions and tickets are bound to serial + key). */
export interface HolderCertificate {
  /** Upper-case hex, as the CA and `ca.certificate.status-changed` write it. */
  readonly serial: string;
  readonly subject: string;
  readonly issuer: string;
  /** SHA-256 of the SubjectPublicKeyInfo DER, lower-case hex: the key the holder proved possession of. */
  readonly spkiSha256: string;
  /** SHA-256 of the certificate DER, lower-case hex. */
  readonly certificateSha256: string;
  readonly keyType: HolderKeyType;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

export function describeHolderCertificate(certificate: Buffer): HolderCertificate {
  const tbs = decodeCertificate(certificate).tbs;
  const key = createPublicKey({ key: tbs.subjectPublicKeyInfo, format: 'der', type: 'spki' });
  return {
    serial: formatSerialNumber(tbs.serialNumber),
    subject: formatDistinguishedName(tbs.subject),
    issuer: formatDistinguishedName(tbs.issuer),
    spkiSha256: sha256Hex(tbs.subjectPublicKeyInfo),
    certificateSha256: sha256Hex(certificate),
    keyType: key.asymmetricKeyType === 'ec' ? 'ec' : 'rsa',
    notBefore: tbs.notBefore,
    notAfter: tbs.notAfter,
  };
}

export function sha256Hex(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * The holder's answer to a challenge: RSASSA-PKCS1-v1_5 SHA-256 (SIM applet, RSA-2048) or ECDSA P-256
 * SHA-256 (iPhone key). ECDSA signatures are accepted as DER `ECDSA-Sig-Value` (X9.62, what Apple's
 * `ecdsaSignatureMessageX962SHA256` returns) or raw `r ‖ s` (IEEE P1363, 64 bytes). Never throws.
 */
export function verifyChallengeSignature(subjectPublicKeyInfo: Buffer, challenge: Buffer, signature: Buffer): { ok: true } | { ok: false; detail: string } {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: subjectPublicKeyInfo, format: 'der', type: 'spki' });
  } catch (error) {
    return { ok: false, detail: `unusable public key: ${(error as Error).message}` };
  }
  try {
    if (key.asymmetricKeyType === 'rsa') {
      return verify('sha256', challenge, key, signature) ? { ok: true } : { ok: false, detail: 'the RSA signature does not match the challenge' };
    }
    if (key.asymmetricKeyType === 'ec') {
      const curve = key.asymmetricKeyDetails?.namedCurve;
      if (curve !== 'prime256v1') return { ok: false, detail: `EC curve ${curve ?? '?'} is not P-256` };
      const der = safeVerify(() => verify('sha256', challenge, { key, dsaEncoding: 'der' }, signature));
      const raw = !der && signature.length === 64 && safeVerify(() => verify('sha256', challenge, { key, dsaEncoding: 'ieee-p1363' }, signature));
      return der || raw ? { ok: true } : { ok: false, detail: 'the ECDSA signature does not match the challenge' };
    }
  } catch (error) {
    return { ok: false, detail: `signature check failed: ${(error as Error).message}` };
  }
  return { ok: false, detail: `key type ${key.asymmetricKeyType ?? '?'} is not accepted (RSA or EC P-256)` };
}

function safeVerify(run: () => boolean): boolean {
  try {
    return run();
  } catch {
    return false;
  }
}
