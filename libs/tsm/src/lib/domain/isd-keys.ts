import type { SealedBox } from '@jpki/crypto';
import { Scp03KeySet, hex } from '@jpki/globalplatform';
import type { ServiceKeys } from '@jpki/service-kit';

/**
 * The card's Key Diversification Data, 10 bytes: a UICC's ICCID in BCD padded with F (as the virtual UICC reports it
 * in INITIALIZE UPDATE, and as real UICCs commonly derive it); an eSE's SEID is its 10-byte id in hex, taken as is.
 */
export function kddOf(seid: string): Buffer {
  if (!/^(\d{18,20}|E5[0-9A-F]{18})$/.test(seid)) throw new Error('SEID: an ICCID of 18-20 digits, or E5 and 18 upper-case hex digits');
  return Buffer.from(seid.padEnd(20, 'F'), 'hex');
}

/**
 * The ISD keysets of the TSM's cards: never stored, derived on demand from its master key by
 * GPPro's KDF3 template (SP 800-108 counter mode, AES-CMAC) with the card's KDD (`kddOf`).
 * The key length is the master key's, which the configuration pins to the profile's SCP03 length.
 */
export class IsdKeyDerivation {
  constructor(
    private readonly master: Buffer,
    private readonly defaultKvn: number,
  ) {}

  forCard(seid: string, kvn = this.defaultKvn): Scp03KeySet {
    return Scp03KeySet.diversifyKdf3(kvn, this.master, kddOf(seid));
  }

  /** A new card's ISD keyset sealed to the vSIM service, which manufactures the card with it (purpose `isd-keyset/<seid>`). */
  sealedForManufacture(seid: string, keys: Pick<ServiceKeys, 'sealFor'>): SealedBox {
    return keys.sealFor('vsim', Buffer.from(JSON.stringify(keysetJson(this.forCard(seid))), 'utf8'), `isd-keyset/${seid}`);
  }
}

/** The wire form of a keyset inside a sealed box: `{kvn, enc, mac, dek}` with hex keys. */
export function keysetJson(keys: Scp03KeySet): { kvn: number; enc: string; mac: string; dek: string } {
  return { kvn: keys.kvn, enc: hex(keys.enc), mac: hex(keys.mac), dek: hex(keys.dek) };
}

export function keysetFromJson(json: { kvn: number; enc: string; mac: string; dek: string }): Scp03KeySet {
  return new Scp03KeySet(json.kvn, Buffer.from(json.enc, 'hex'), Buffer.from(json.mac, 'hex'), Buffer.from(json.dek, 'hex'));
}
