import { aesCmac } from '../crypto/aes-cmac';
import { kcvAes } from '../crypto/kcv';
import { GpError } from '../errors';

export type KeyPurpose = 'enc' | 'mac' | 'dek';

/** Key ids of an SCP03 keyset inside its KVN (GPPro/GP convention 01 ENC, 02 MAC, 03 DEK). */
export const Scp03KeyId = { enc: 0x01, mac: 0x02, dek: 0x03 } as const;

export interface KeyCheckValues {
  readonly enc: Buffer;
  readonly mac: Buffer;
  readonly dek: Buffer;
}

/** KVN ranges, GPC_GUI_010 as quoted in pySim. */
export const Kvn = {
  SCP80_FIRST: 0x01,
  SCP80_LAST: 0x0f,
  SCP02_FIRST: 0x20,
  SCP02_LAST: 0x2f,
  SCP03_FIRST: 0x30,
  SCP03_LAST: 0x3f,
  TOKEN: 0x70,
  RECEIPT: 0x71,
  DAP: 0x73,
  INITIAL_ISD: 0xff,
  FIRST_AVAILABLE: 0x00,
} as const;

export function isScp03Kvn(kvn: number): boolean {
  return kvn >= Kvn.SCP03_FIRST && kvn <= Kvn.SCP03_LAST;
}

/** Static SCP03 keyset: ENC, MAC and DEK of one length (AES-128/192/256) under one KVN. */
export class Scp03KeySet {
  readonly enc: Buffer;
  readonly mac: Buffer;
  readonly dek: Buffer;

  constructor(
    readonly kvn: number,
    enc: Uint8Array,
    mac: Uint8Array,
    dek: Uint8Array,
  ) {
    if (!Number.isInteger(kvn) || kvn < 0 || kvn > 0xff) {
      throw new GpError(`KVN out of range: ${kvn}`);
    }
    const length = enc.length;
    if (![16, 24, 32].includes(length) || mac.length !== length || dek.length !== length) {
      throw new GpError('SCP03 keys must all be AES-128, AES-192 or AES-256 of the same length');
    }
    this.enc = Buffer.from(enc);
    this.mac = Buffer.from(mac);
    this.dek = Buffer.from(dek);
  }

  /** One key used as ENC, MAC and DEK (test and default keys). */
  static fromSingleKey(kvn: number, key: Uint8Array): Scp03KeySet {
    return new Scp03KeySet(kvn, key, key, key);
  }

  /** Card keys from a master key and the KDD with GPPro's `kdf3` template. */
  static diversifyKdf3(kvn: number, master: Uint8Array, kdd: Uint8Array): Scp03KeySet {
    return new Scp03KeySet(
      kvn,
      kdf3(master, Scp03KeyId.enc, kdd),
      kdf3(master, Scp03KeyId.mac, kdd),
      kdf3(master, Scp03KeyId.dek, kdd),
    );
  }

  get keyLength(): number {
    return this.enc.length;
  }

  key(purpose: KeyPurpose): Buffer {
    return this[purpose];
  }

  kcvs(): KeyCheckValues {
    return { enc: kcvAes(this.enc), mac: kcvAes(this.mac), dek: kcvAes(this.dek) };
  }

  withKvn(kvn: number): Scp03KeySet {
    return new Scp03KeySet(kvn, this.enc, this.mac, this.dek);
  }
}

/**
 * GPPro `kdf3`: SP 800-108 counter mode with AES-CMAC, PRF input
 * i ‖ 00 00 00 ‖ key id ‖ 00 ‖ KDD, output as long as the master key.
 */
function kdf3(master: Uint8Array, keyId: number, kdd: Uint8Array): Buffer {
  if (kdd.length > 10) {
    throw new GpError(`KDD longer than 10 bytes: ${kdd.length}`);
  }
  const blocks: Buffer[] = [];
  for (let i = 1; blocks.length * 16 < master.length; i++) {
    blocks.push(aesCmac(master, Buffer.concat([Buffer.from([i, 0, 0, 0, keyId, 0]), kdd])));
  }
  return Buffer.concat(blocks).subarray(0, master.length);
}
