import { Scp03KeySet, hex } from '@jpki/globalplatform';

/**
 * The card's Key Diversification Data: the ICCID in BCD, padded with F to 10 bytes (as the
 * virtual UICC reports it in INITIALIZE UPDATE, and as real UICCs commonly derive it).
 */
export function kddOf(iccid: string): Buffer {
  if (!/^\d{18,20}$/.test(iccid)) throw new Error('ICCID must be 18-20 digits');
  return Buffer.from(iccid.padEnd(20, 'F'), 'hex');
}

/**
 * The ISD keysets of the TSM's cards: never stored, derived on demand from its master key by
 * GPPro's KDF3 template (SP 800-108 counter mode, AES-CMAC) with KDD = BCD(ICCID) padded with F.
 * The key length is the master key's, which the configuration pins to the profile's SCP03 length.
 */
export class IsdKeyDerivation {
  constructor(
    private readonly master: Buffer,
    private readonly defaultKvn: number,
  ) {}

  forCard(iccid: string, kvn = this.defaultKvn): Scp03KeySet {
    return Scp03KeySet.diversifyKdf3(kvn, this.master, kddOf(iccid));
  }
}

/** The wire form of a keyset inside a sealed box: `{kvn, enc, mac, dek}` with hex keys. */
export function keysetJson(keys: Scp03KeySet): { kvn: number; enc: string; mac: string; dek: string } {
  return { kvn: keys.kvn, enc: hex(keys.enc), mac: hex(keys.mac), dek: hex(keys.dek) };
}

export function keysetFromJson(json: { kvn: number; enc: string; mac: string; dek: string }): Scp03KeySet {
  return new Scp03KeySet(json.kvn, Buffer.from(json.enc, 'hex'), Buffer.from(json.mac, 'hex'), Buffer.from(json.dek, 'hex'));
}
