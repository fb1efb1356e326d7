import { fromHex, hex } from '../bytes';
import { Scp03KeySet } from '../keys/scp03-key-set';
import { aesCmac } from './aes-cmac';
import { kcvAes } from './kcv';
import { pad80, unpad80 } from './padding';
import { scp03Kdf, Scp03DerivationConstant } from './scp03-kdf';

const sp80038bMessage = fromHex(
  '6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710',
);

describe('AES-CMAC (NIST SP 800-38B, Appendix D)', () => {
  const key128 = fromHex('2b7e151628aed2a6abf7158809cf4f3c');
  const key256 = fromHex('603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4');

  it.each([
    [0, 'BB1D6929E95937287FA37D129B756746'],
    [16, '070A16B46B4D4144F79BDD9DD04A287C'],
    [40, 'DFA66747DE9AE63030CA32611497C827'],
    [64, '51F0BEBF7E3B9D92FC49741779363CFE'],
  ])('AES-128, %i-byte message', (length, tag) => {
    expect(hex(aesCmac(key128, sp80038bMessage.subarray(0, length)))).toBe(tag);
  });

  it.each([
    [0, '028962F61B7BF89EFC6B551F4667D983'],
    [64, 'E1992190549F6ED5696A2C056C315410'],
  ])('AES-256, %i-byte message', (length, tag) => {
    expect(hex(aesCmac(key256, sp80038bMessage.subarray(0, length)))).toBe(tag);
  });
});

describe('pad80 / unpad80', () => {
  it('pads to a block multiple and strips again', () => {
    expect(hex(pad80(fromHex('0102')))).toBe('010280' + '00'.repeat(13));
    expect(pad80(Buffer.alloc(16))).toHaveLength(32);
    expect(hex(unpad80(pad80(fromHex('0102'))))).toBe('0102');
  });

  it('rejects missing or overlong padding', () => {
    expect(() => unpad80(Buffer.alloc(16))).toThrow('padding');
    expect(() => unpad80(Buffer.concat([Buffer.from([0x80]), Buffer.alloc(16)]))).toThrow('padding');
  });
});

describe('KCV', () => {
  it('reproduces the pySim AES-128 keyset KCVs', () => {
    expect(hex(kcvAes(fromHex('000102030405060708090a0b0c0d0e0f')))).toBe('C35280');
    expect(hex(kcvAes(fromHex('101112131415161718191a1b1c1d1e1f')))).toBe('013808');
    expect(hex(kcvAes(fromHex('202122232425262728292a2b2c2d2e2f')))).toBe('840DE5');
  });
});

describe('SCP03 KDF', () => {
  const key = fromHex('404142434445464748494a4b4c4d4e4f');
  const kdd = fromHex('00010203040506070809');

  it('derives the GPPro session key KCVs with context = KDD', () => {
    const derive = (constant: number) => kcvAes(scp03Kdf(key, constant, kdd, 128));
    expect(hex(derive(Scp03DerivationConstant.S_ENC))).toBe('C25559');
    expect(hex(derive(Scp03DerivationConstant.S_MAC))).toBe('0E12CC');
    expect(hex(derive(Scp03DerivationConstant.S_RMAC))).toBe('9ACB9C');
  });

  it('produces 256-bit output from two PRF blocks', () => {
    const out = scp03Kdf(key, 0x04, kdd, 256);
    expect(out).toHaveLength(32);
    expect(out.subarray(0, 16).equals(scp03Kdf(key, 0x04, kdd, 128))).toBe(false);
  });
});

describe('KDF3 key diversification (GPPro TestPlaintextKeys)', () => {
  const kdd = fromHex('00010203040506070809');
  it.each([
    ['404142434445464748494A4B4C4D4E4F', ['E79C05', 'D1BD77', '3FDE8C']],
    ['404142434445464748494A4B4C4D4E4F5051525354555657', ['1DE8EA', '47C00C', 'C04D76']],
    ['404142434445464748494A4B4C4D4E4F505152535455565758595A5B5C5D5E5F', ['2972D2', '036F94', '5D57B8']],
  ])('master %s', (master, [enc, mac, dek]) => {
    const kcvs = Scp03KeySet.diversifyKdf3(0x30, fromHex(master), kdd).kcvs();
    expect([hex(kcvs.enc), hex(kcvs.mac), hex(kcvs.dek)]).toEqual([enc, mac, dek]);
  });

  it('matches the external KDF3 vector', () => {
    const keys = Scp03KeySet.diversifyKdf3(
      0x30,
      fromHex('8C72C72CF908411653018807950D82FBAD947562F0828A0B10B8B9606ABF3BCD'),
      fromHex('D9B1DE5D0362DEDCE4FB'),
    );
    expect(hex(keys.enc)).toBe('9AAC5D0B3601F89438A0D9D0B6B256CFB47E6462DFA5228D3420C4AC7C224781');
  });
});
