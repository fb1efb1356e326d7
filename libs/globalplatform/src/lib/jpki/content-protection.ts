import { randomBytes } from 'node:crypto';
import { ByteReader } from '../bytes';
import { aesCbcDecrypt, aesCbcEncrypt, AES_BLOCK } from '../crypto/aes';
import { aesCmac } from '../crypto/aes-cmac';
import { pad80, unpad80 } from '../crypto/padding';
import { scp03Kdf } from '../crypto/scp03-kdf';
import { SwError } from '../errors';
import { buildAesKeyBlock, parseAesKeyBlock } from '../commands/put-key';
import { sameBytes } from '../scp03/scp03-crypto';
import { Sw } from '../status-words';
import { encodeTlv } from '../tlv/ber-tlv';
import { JpkiTag } from './jpki-applet-protocol';

/**
 * The SP's end-to-end protection (security item 11), independent of the MNO and of SCP03:
 * an AES-256 content key, delivered once under the SSD's static DEK, seals the private key (and certificate).
 */
export const CONTENT_KEY_LENGTH = 32;
const SEALED_FORMAT = 0x01;
const TAG_LENGTH = 16;

/** Derivation constants outside Amd D Table 4-1, so sealing keys can never collide with SCP03 session keys. */
const SealConstant = { ENCRYPTION: 0x80, INTEGRITY: 0x81 } as const;

/** DF01 content: a PUT KEY style AES key block (88 ‖ L ‖ 20 ‖ E_DEK(key) ‖ 03 ‖ KCV). */
export function buildContentKeyDo(contentKey: Buffer, dek: Buffer): Buffer {
  requireContentKey(contentKey);
  return encodeTlv(JpkiTag.CONTENT_KEY, buildAesKeyBlock(contentKey, dek));
}

/** Card side: decrypts the content key with the DEK; KCV mismatch → 6982, wrong size → 6A80. */
export function openContentKeyDo(value: Buffer, dek: Buffer): Buffer {
  const reader = new ByteReader(value);
  const key = parseAesKeyBlock(reader, dek);
  reader.expectEnd();
  return requireContentKey(key);
}

/**
 * Sealed blob: 01 ‖ IV(16) ‖ AES-256-CBC(Kenc, IV, pad80(plaintext)) ‖ CMAC(Kmac, 01 ‖ tag(2) ‖ AID ‖ IV ‖ C).
 * Kenc/Kmac = SCP03 KDF(content key, 80/81, applet AID, 256): a blob opens only in the applet it was made for,
 * and only as the data object (tag) it was made for.
 */
export function seal(tag: number, plaintext: Buffer, contentKey: Buffer, appletAid: Buffer): Buffer {
  const { encryption, integrity } = sealingKeys(requireContentKey(contentKey), appletAid);
  const iv = randomBytes(AES_BLOCK);
  const ciphertext = aesCbcEncrypt(encryption, pad80(plaintext), iv);
  const header = Buffer.from([SEALED_FORMAT]);
  const mac = aesCmac(integrity, authenticatedData(header, tag, appletAid, iv, ciphertext));
  return Buffer.concat([header, iv, ciphertext, mac]);
}

/** Card side: verifies and decrypts; any mismatch → 6982 (security status not satisfied). */
export function unseal(tag: number, blob: Buffer, contentKey: Buffer, appletAid: Buffer): Buffer {
  const minimum = 1 + AES_BLOCK + AES_BLOCK + TAG_LENGTH;
  if (blob.length < minimum || blob[0] !== SEALED_FORMAT || (blob.length - 1 - TAG_LENGTH) % AES_BLOCK !== 0) {
    throw new SwError(Sw.SECURITY_STATUS_NOT_SATISFIED, 'not a sealed content blob');
  }
  const { encryption, integrity } = sealingKeys(contentKey, appletAid);
  const iv = blob.subarray(1, 1 + AES_BLOCK);
  const ciphertext = blob.subarray(1 + AES_BLOCK, -TAG_LENGTH);
  const expected = aesCmac(integrity, authenticatedData(blob.subarray(0, 1), tag, appletAid, iv, ciphertext));
  if (!sameBytes(expected, blob.subarray(-TAG_LENGTH))) {
    throw new SwError(Sw.SECURITY_STATUS_NOT_SATISFIED, 'content MAC mismatch');
  }
  try {
    return unpad80(aesCbcDecrypt(encryption, ciphertext, iv));
  } catch {
    throw new SwError(Sw.SECURITY_STATUS_NOT_SATISFIED, 'content padding invalid');
  }
}

export function buildPrivateKeyDo(privateKeyPkcs8: Buffer, contentKey: Buffer, appletAid: Buffer): Buffer {
  return encodeTlv(JpkiTag.PRIVATE_KEY, seal(JpkiTag.PRIVATE_KEY, privateKeyPkcs8, contentKey, appletAid));
}

/** With a content key the certificate is sealed too; without one it is written in clear (on-card generation). */
export function buildCertificateDo(certificateDer: Buffer, appletAid: Buffer, contentKey?: Buffer): Buffer {
  const value = contentKey ? seal(JpkiTag.CERTIFICATE, certificateDer, contentKey, appletAid) : certificateDer;
  return encodeTlv(JpkiTag.CERTIFICATE, value);
}

function sealingKeys(contentKey: Buffer, appletAid: Buffer): { encryption: Buffer; integrity: Buffer } {
  return {
    encryption: scp03Kdf(contentKey, SealConstant.ENCRYPTION, appletAid, 256),
    integrity: scp03Kdf(contentKey, SealConstant.INTEGRITY, appletAid, 256),
  };
}

function authenticatedData(header: Buffer, tag: number, aid: Buffer, iv: Buffer, ciphertext: Buffer): Buffer {
  return Buffer.concat([header, Buffer.from([tag >> 8, tag & 0xff, aid.length]), aid, iv, ciphertext]);
}

function requireContentKey(key: Buffer): Buffer {
  if (key.length !== CONTENT_KEY_LENGTH) {
    throw new SwError(Sw.WRONG_DATA, 'the content key must be AES-256');
  }
  return key;
}
