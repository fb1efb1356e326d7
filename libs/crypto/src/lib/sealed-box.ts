import {
  createCipheriv,
  createDecipheriv,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  randomBytes,
  type KeyObject,
} from 'node:crypto';

/** Wire shape of a sealed box (the contracts library validates it on the way in). */
export interface SealedBox {
  alg: 'ECDH-ES+A256GCM';
  recipient: string;
  epk: string;
  iv: string;
  ciphertext: string;
  tag: string;
}

const ALG = 'ECDH-ES+A256GCM';

export class SealedBoxError extends Error {}

/** A recipient key from SubjectPublicKeyInfo DER (base64 or raw), checked to be X25519 or P-256. */
export function sealedBoxRecipientKey(spki: Buffer | string): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: typeof spki === 'string' ? Buffer.from(spki, 'base64') : spki, format: 'der', type: 'spki' });
  } catch (error) {
    throw new SealedBoxError(`recipient key is not a SubjectPublicKeyInfo: ${(error as Error).message}`);
  }
  recipientCurve(key);
  return key;
}

function kek(shared: Buffer, recipient: string, epkDer: Buffer, aad: string): Buffer {
  const info = Buffer.concat([Buffer.from(`${ALG}|${recipient}|${aad}|`, 'utf8'), epkDer]);
  return Buffer.from(hkdfSync('sha256', shared, Buffer.alloc(0), info, 32));
}

/**
 * An ephemeral key on the recipient key's curve: X25519 for service transport keys, NIST P-256 for
 * device-held key-agreement keys (an iPhone Secure Enclave offers P-256 only). Anything else is refused.
 */
function ephemeralFor(recipientPublicKey: KeyObject): { privateKey: KeyObject; publicKey: KeyObject } {
  return recipientCurve(recipientPublicKey) === 'x25519' ? generateKeyPairSync('x25519') : generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
}

function recipientCurve(key: KeyObject): 'x25519' | 'prime256v1' {
  if (key.type !== 'public') throw new SealedBoxError('seal needs the recipient public key');
  if (key.asymmetricKeyType === 'x25519') return 'x25519';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'prime256v1';
  const curve = key.asymmetricKeyDetails?.namedCurve;
  throw new SealedBoxError(`unsupported recipient key ${key.asymmetricKeyType}${curve ? ` (${curve})` : ''}: X25519 or P-256 only`);
}

/**
 * Seals data to one recipient's key-agreement key — a service's X25519 transport key, or a device-held
 * P-256 key (iPhone) — with an ephemeral key of the same curve (ECDH-ES), HKDF-SHA256 and AES-256-GCM.
 * Only the holder of the recipient's private key opens it; the `aad` (e.g. the ICCID) binds the box to
 * its purpose. The wire format is the same for both curves (`epk` is the ephemeral SPKI DER).
 */
export function seal(recipient: string, recipientPublicKey: KeyObject, plaintext: Buffer, aad: string): SealedBox {
  const ephemeral = ephemeralFor(recipientPublicKey);
  const epkDer = ephemeral.publicKey.export({ format: 'der', type: 'spki' });
  const shared = diffieHellman({ privateKey: ephemeral.privateKey, publicKey: recipientPublicKey });
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', kek(shared, recipient, epkDer, aad), iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return {
    alg: ALG,
    recipient,
    epk: epkDer.toString('base64'),
    iv: iv.toString('base64'),
    ciphertext: ciphertext.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
  };
}

export function open(box: SealedBox, recipient: string, recipientPrivateKey: KeyObject, aad: string): Buffer {
  if (box.alg !== ALG) throw new SealedBoxError(`unsupported algorithm ${String(box.alg)}`);
  if (box.recipient !== recipient) throw new SealedBoxError(`sealed for ${box.recipient}, not ${recipient}`);
  const epkDer = Buffer.from(box.epk, 'base64');
  try {
    const epk = createPublicKey({ key: epkDer, format: 'der', type: 'spki' });
    const shared = diffieHellman({ privateKey: recipientPrivateKey, publicKey: epk });
    const decipher = createDecipheriv('aes-256-gcm', kek(shared, recipient, epkDer, aad), Buffer.from(box.iv, 'base64'));
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(Buffer.from(box.tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(box.ciphertext, 'base64')), decipher.final()]);
  } catch {
    throw new SealedBoxError('sealed box does not open (wrong key, wrong purpose or tampered)');
  }
}

/** A service's transport key pair, from base64 PKCS#8 DER (as configured in the environment). */
export function transportPrivateKey(b64Pkcs8: string): KeyObject {
  return createPrivateKey({ key: Buffer.from(b64Pkcs8, 'base64'), format: 'der', type: 'pkcs8' });
}

export function transportPublicKey(b64Spki: string): KeyObject {
  return createPublicKey({ key: Buffer.from(b64Spki, 'base64'), format: 'der', type: 'spki' });
}

/** `name=base64Spki,…` → map of recipient transport keys. */
export function parseTransportKeys(spec: string | undefined): Map<string, KeyObject> {
  return new Map(
    (spec ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .map((entry) => {
        const [name, b64] = entry.split('=');
        if (!name || !b64) throw new Error('transport keys must look like "name=base64Spki[,…]"');
        return [name, transportPublicKey(b64)] as const;
      }),
  );
}

/** Generates identity (Ed25519) and transport (X25519) keys for a service, base64 DER. */
export function generateServiceKeys(): { signingPkcs8: string; signingSpki: string; transportPkcs8: string; transportSpki: string } {
  const sig = generateKeyPairSync('ed25519');
  const tr = generateKeyPairSync('x25519');
  const b64 = (k: KeyObject, type: 'pkcs8' | 'spki') => k.export({ format: 'der', type }).toString('base64');
  return {
    signingPkcs8: b64(sig.privateKey, 'pkcs8'),
    signingSpki: b64(sig.publicKey, 'spki'),
    transportPkcs8: b64(tr.privateKey, 'pkcs8'),
    transportSpki: b64(tr.publicKey, 'spki'),
  };
}
