import { createPrivateKey } from 'node:crypto';
import {
  decodeTlv,
  decodeTlvs,
  fromHex,
  hasSecurity,
  hex,
  JPKI_RSA_BITS,
  JpkiTag,
  openContentKeyDo,
  SecurityLevelBit,
  StoreDataFlags,
  Sw,
  SwError,
  unseal,
} from '@jpki/globalplatform';
import { fail } from './card-context';
import { ApplicationRecord, JpkiStore } from './card-image';

const KEY_WRITE_LEVEL = SecurityLevelBit.C_DECRYPTION | SecurityLevelBit.C_MAC;
const CERTIFICATE_WRITE_LEVEL = SecurityLevelBit.C_MAC;

export interface PersonalizationContext {
  readonly app: ApplicationRecord;
  readonly store: JpkiStore;
  readonly flags: StoreDataFlags;
  readonly securityLevel: number;
  /** Static DEK of the SSD keyset that runs the secure channel. */
  readonly dek: Buffer;
}

type DataObjectWriter = (ctx: PersonalizationContext, value: Buffer) => void;

/**
 * Data objects the SP writes through its SSD (item 9: keys need C-DECRYPTION + C-MAC, the certificate only C-MAC;
 * item 11: the private key, and the certificate once a content key exists, must be sealed with the SP's content key).
 */
const WRITERS: Readonly<Record<number, DataObjectWriter>> = {
  [JpkiTag.CONTENT_KEY]: writeContentKey,
  [JpkiTag.PRIVATE_KEY]: writePrivateKey,
  [JpkiTag.CERTIFICATE]: writeCertificate,
};

export function personalizeJpki(ctx: PersonalizationContext, data: Buffer): void {
  if (ctx.flags.structure !== 'ber-tlv') {
    fail(Sw.WRONG_DATA, 'the JPKI applet takes BER-TLV data objects');
  }
  for (const object of decodeTlvs(data)) {
    const writer = WRITERS[object.tag] ?? fail(Sw.WRONG_DATA, `unknown data object ${object.tag.toString(16)}`);
    writer(ctx, object.value);
  }
}

function writeContentKey(ctx: PersonalizationContext, value: Buffer): void {
  requireLevel(ctx.securityLevel, KEY_WRITE_LEVEL);
  if (ctx.flags.encryption === 'none') {
    fail(Sw.WRONG_DATA, 'the content key must be flagged as encrypted data');
  }
  ctx.store.contentKey = hex(openContentKeyDo(value, ctx.dek));
}

function writePrivateKey(ctx: PersonalizationContext, value: Buffer): void {
  requireLevel(ctx.securityLevel, KEY_WRITE_LEVEL);
  const pkcs8 = unseal(JpkiTag.PRIVATE_KEY, value, requireContentKey(ctx.store), fromHex(ctx.app.aid));
  ctx.store.privateKey = hex(importPrivateKey(pkcs8));
  ctx.store.certificate = null;
}

function writeCertificate(ctx: PersonalizationContext, value: Buffer): void {
  requireLevel(ctx.securityLevel, CERTIFICATE_WRITE_LEVEL);
  ctx.store.certificate = hex(certificateValue(ctx.app, ctx.store, value));
}

function requireLevel(securityLevel: number, required: number): void {
  if (!hasSecurity(securityLevel, required)) {
    fail(Sw.SECURITY_STATUS_NOT_SATISFIED, 'access condition of this data object not met');
  }
}

function requireContentKey(store: JpkiStore): Buffer {
  return store.contentKey ? fromHex(store.contentKey) : fail(Sw.CONDITIONS_OF_USE_NOT_SATISFIED, 'no SP content key installed');
}

function importPrivateKey(pkcs8: Buffer): Buffer {
  try {
    const key = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
    if (key.asymmetricKeyType === 'rsa' && key.asymmetricKeyDetails?.modulusLength === JPKI_RSA_BITS) {
      return pkcs8;
    }
  } catch {
    // reported below like any other unusable key
  }
  throw new SwError(Sw.WRONG_DATA, 'expected an RSA-2048 PKCS#8 private key');
}

function certificateValue(app: ApplicationRecord, store: JpkiStore, value: Buffer): Buffer {
  if (!store.privateKey) {
    fail(Sw.CONDITIONS_OF_USE_NOT_SATISFIED, 'no key pair for a certificate');
  }
  const certificate = store.contentKey ? unseal(JpkiTag.CERTIFICATE, value, fromHex(store.contentKey), fromHex(app.aid)) : value;
  if (decodeTlv(certificate).tag !== 0x30) {
    fail(Sw.WRONG_DATA, 'certificate must be a DER SEQUENCE');
  }
  return certificate;
}
