import { Scp03KeySet } from '@jpki/globalplatform';
import { IsdKeyDerivation, kddOf, keysetFromJson, keysetJson } from './isd-keys';

describe('ISD key diversification', () => {
  it('uses the ICCID in BCD padded with F (a UICC) or the 10-byte id (an eSE) as KDD, and diversifies with KDF3 (GPPro vector for the template)', () => {
    expect(kddOf('8981300000000000428').toString('hex').toUpperCase()).toBe('8981300000000000428F');
    expect(kddOf('E50102030405060708AB').toString('hex').toUpperCase()).toBe('E50102030405060708AB');
    for (const bad of ['E50102030405060708ab', 'E501020304', '89813000000000004281F']) expect(() => kddOf(bad)).toThrow('SEID');
    // GPPro TestPlaintextKeys: master 404142…4F, KDD 00010203040506070809 → ENC/MAC/DEK KCV E79C05/D1BD77/3FDE8C.
    const keys = Scp03KeySet.diversifyKdf3(0x30, Buffer.from('404142434445464748494a4b4c4d4e4f', 'hex'), Buffer.from('00010203040506070809', 'hex'));
    const kcvs = keys.kcvs();
    expect([kcvs.enc, kcvs.mac, kcvs.dek].map((b) => b.toString('hex').toUpperCase())).toEqual(['E79C05', 'D1BD77', '3FDE8C']);
  });

  it('derives distinct per-card keysets of the master key length', () => {
    const isd = new IsdKeyDerivation(Buffer.alloc(24, 7), 0x30);
    const a = isd.forCard('8981300000000000428');
    const b = isd.forCard('8981300000000000436');
    expect(a.keyLength).toBe(24);
    expect(a.enc.equals(b.enc)).toBe(false);
    expect(keysetFromJson(keysetJson(a)).mac.equals(a.mac)).toBe(true);
  });
});
