import { fromHex, hex, Scp03KeySet } from '@jpki/globalplatform';
import { KeysetRecord } from './card-image';

export function keysetComplete(keyset: KeysetRecord): boolean {
  return keyset.enc !== '' && keyset.mac !== '' && keyset.dek !== '';
}

export function toKeySet(keyset: KeysetRecord): Scp03KeySet {
  return new Scp03KeySet(keyset.kvn, fromHex(keyset.enc), fromHex(keyset.mac), fromHex(keyset.dek));
}

/** A created or replaced keyset starts with sequence counter 0 (Amd D §6.2.2.1) and no failed attempts. */
export function newKeysetRecord(keys: Scp03KeySet): KeysetRecord {
  return { kvn: keys.kvn, enc: hex(keys.enc), mac: hex(keys.mac), dek: hex(keys.dek), sequenceCounter: 0, failedAuthentications: 0 };
}
