import { aesCbcDecrypt } from '../crypto/aes';
import { kcvAes } from '../crypto/kcv';
import { SwError } from '../errors';
import { KeyPurpose, Scp03KeyId, Scp03KeySet } from '../keys/scp03-key-set';
import { sameBytes } from '../scp03/scp03-crypto';
import { Sw } from '../status-words';
import { decodeTlvs, encodeTlv, requireTlv, Tlv } from '../tlv/ber-tlv';
import { decodeDgis, encodeDgi } from '../tlv/dgi';
import { encryptKeyUnderDek, KeyType } from './put-key';

/** DGIs for symmetric key loading through STORE DATA (GPC §11.11.4.1). */
export const KeyDgi = { KEY_INFORMATION: 0x00b9, SECRET_KEY: 0x8113 } as const;

/** Key usage qualifiers GP uses for SCP keys (GPC §11.1.9). */
export const KeyUsage = { enc: 0x38, mac: 0x34, dek: 0xc8 } as const;

const Crt = { TEMPLATE: 0xb9, USAGE: 0x95, TYPE: 0x80, LENGTH: 0x81, KEY_ID: 0x82, KVN: 0x83, KCV: 0x84 } as const;
const PURPOSES: readonly KeyPurpose[] = ['enc', 'mac', 'dek'];

/** DGI 00B9 with one CRT per key, then one DGI 8113 per key encrypted under `dek`. */
export function buildKeySetDgis(keys: Scp03KeySet, dek: Buffer): Buffer {
  const crts = PURPOSES.map((purpose) =>
    encodeTlv(Crt.TEMPLATE, [
      { tag: Crt.USAGE, value: Buffer.from([KeyUsage[purpose]]) },
      { tag: Crt.TYPE, value: Buffer.from([KeyType.AES]) },
      { tag: Crt.LENGTH, value: Buffer.from([keys.keyLength]) },
      { tag: Crt.KEY_ID, value: Buffer.from([Scp03KeyId[purpose]]) },
      { tag: Crt.KVN, value: Buffer.from([keys.kvn]) },
      { tag: Crt.KCV, value: kcvAes(keys.key(purpose)) },
    ]),
  );
  const secrets = PURPOSES.map((purpose) => encodeDgi(KeyDgi.SECRET_KEY, encryptKeyUnderDek(keys.key(purpose), dek)));
  return Buffer.concat([encodeDgi(KeyDgi.KEY_INFORMATION, Buffer.concat(crts)), ...secrets]);
}

/** Card side: rebuilds the keyset; format errors → 6A80, KCV mismatch → 6982. */
export function parseKeySetDgis(data: Buffer, dek: Buffer): Scp03KeySet {
  const [info, ...secrets] = decodeDgis(data);
  if (info?.dgi !== KeyDgi.KEY_INFORMATION || secrets.some((dgi) => dgi.dgi !== KeyDgi.SECRET_KEY)) {
    throw new SwError(Sw.WRONG_DATA, 'expected DGI 00B9 followed by DGIs 8113');
  }
  const crts = decodeTlvs(info.value).map(parseCrt);
  if (crts.length !== PURPOSES.length || secrets.length !== crts.length) {
    throw new SwError(Sw.WRONG_DATA, 'an SCP03 keyset needs three keys');
  }
  const keys = new Map<number, Buffer>();
  crts.forEach((crt, index) => keys.set(crt.keyId, decryptChecked(secrets[index].value, crt, dek)));
  const [enc, mac, keyDek] = PURPOSES.map((purpose) => keys.get(Scp03KeyId[purpose]));
  if (!enc || !mac || !keyDek || crts.some((crt) => crt.kvn !== crts[0].kvn)) {
    throw new SwError(Sw.WRONG_DATA, 'keys 01-03 of one KVN are required');
  }
  return new Scp03KeySet(crts[0].kvn, enc, mac, keyDek);
}

interface KeyCrt {
  readonly keyId: number;
  readonly kvn: number;
  readonly length: number;
  readonly kcv: Buffer;
}

function parseCrt(template: Tlv): KeyCrt {
  if (template.tag !== Crt.TEMPLATE) {
    throw new SwError(Sw.WRONG_DATA, 'expected a B9 control reference template');
  }
  const fields = decodeTlvs(template.value);
  const byte = (tag: number) => singleByte(requireTlv(fields, tag));
  if (byte(Crt.TYPE) !== KeyType.AES) {
    throw new SwError(Sw.WRONG_DATA, 'only AES keys are supported');
  }
  return { keyId: byte(Crt.KEY_ID), kvn: byte(Crt.KVN), length: byte(Crt.LENGTH), kcv: requireTlv(fields, Crt.KCV).value };
}

function singleByte(tlv: Tlv): number {
  if (tlv.value.length !== 1) {
    throw new SwError(Sw.WRONG_DATA, `tag ${tlv.tag.toString(16)} must be one byte`);
  }
  return tlv.value[0];
}

function decryptChecked(ciphertext: Buffer, crt: KeyCrt, dek: Buffer): Buffer {
  if (![16, 24, 32].includes(crt.length) || ciphertext.length % 16 !== 0 || ciphertext.length < crt.length) {
    throw new SwError(Sw.WRONG_DATA, 'malformed secret key DGI');
  }
  const key = aesCbcDecrypt(dek, ciphertext).subarray(0, crt.length);
  if (!sameBytes(kcvAes(key), crt.kcv)) {
    throw new SwError(Sw.SECURITY_STATUS_NOT_SATISFIED, 'key check value mismatch');
  }
  return key;
}

