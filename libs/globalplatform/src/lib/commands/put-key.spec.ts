import { CommandApdu } from '../apdu/command-apdu';
import { ByteReader, fromHex, hex } from '../bytes';
import { Scp03KeySet } from '../keys/scp03-key-set';
import { Sw } from '../status-words';
import { buildKeySetDgis, parseKeySetDgis } from './key-dgi';
import { buildAesKeyBlock, buildPutKey, encodePutKeyResponse, parseAesKeyBlock, parsePutKey } from './put-key';
import { swOf } from '../../test/sw-of';

const DEK = fromHex('202122232425262728292a2b2c2d2e2f');
const NEW_KEY = fromHex('404142434445464748494a4b4c4d4e4f');


describe('PUT KEY with an AES DEK', () => {
  it('reproduces the docs/DESIGN.md §6.3 key block', () => {
    expect(hex(buildAesKeyBlock(NEW_KEY, DEK))).toBe('881110859469C07743C7E45B318D151D3D87E903504A77');
  });

  it('builds the plain PUT KEY APDU 80 D8 00 81 46 31 <block>×3', () => {
    const command = buildPutKey(Scp03KeySet.fromSingleKey(0x31, NEW_KEY), DEK);
    const block = '881110859469C07743C7E45B318D151D3D87E903504A77';
    expect(command.toString()).toBe(`80D80081` + `46` + `31` + block.repeat(3));
  });

  it('parses on the card side and answers KVN ‖ KCVs', () => {
    for (const length of [16, 24, 32]) {
      const keys = new Scp03KeySet(0x32, Buffer.alloc(length, 1), Buffer.alloc(length, 2), Buffer.alloc(length, 3));
      const parsed = parsePutKey(buildPutKey(keys, DEK, 0x30), DEK);
      expect(parsed.replaceKvn).toBe(0x30);
      expect(hex(parsed.keys.mac)).toBe(hex(keys.mac));
      expect(hex(encodePutKeyResponse(parsed.keys))).toBe(hex(encodePutKeyResponse(keys)));
    }
  });

  it('answers 6982 for a wrong KCV and 6A80 for malformed blocks', () => {
    const block = buildAesKeyBlock(NEW_KEY, DEK);
    block[block.length - 1] ^= 0x01;
    expect(swOf(() => parseAesKeyBlock(new ByteReader(block), DEK))).toBe(Sw.SECURITY_STATUS_NOT_SATISFIED);
    expect(swOf(() => parseAesKeyBlock(new ByteReader(fromHex('801110')), DEK))).toBe(Sw.WRONG_DATA);
    const wrongDek = parsePutKeyWith(fromHex('000102030405060708090a0b0c0d0e0f'));
    expect(wrongDek).toBe(Sw.SECURITY_STATUS_NOT_SATISFIED);
  });

  it('rejects chained PUT KEY and single-key P2', () => {
    const command = buildPutKey(Scp03KeySet.fromSingleKey(0x31, NEW_KEY), DEK);
    expect(swOf(() => parsePutKey(new CommandApdu(0x80, 0xd8, 0x80, 0x81, command.data), DEK))).toBe(Sw.INCORRECT_P1P2);
    expect(swOf(() => parsePutKey(new CommandApdu(0x80, 0xd8, 0x00, 0x01, command.data), DEK))).toBe(Sw.INCORRECT_P1P2);
  });
});

function parsePutKeyWith(dek: Buffer): number {
  return swOf(() => parsePutKey(buildPutKey(Scp03KeySet.fromSingleKey(0x31, NEW_KEY), DEK), dek));
}

describe('keyset through STORE DATA DGIs 00B9/8113', () => {
  it('round-trips and checks the KCVs', () => {
    const keys = new Scp03KeySet(0x30, Buffer.alloc(24, 7), Buffer.alloc(24, 8), Buffer.alloc(24, 9));
    const dgis = buildKeySetDgis(keys, DEK);
    expect(hex(dgis.subarray(0, 2))).toBe('00B9');
    expect(hex(parseKeySetDgis(dgis, DEK).dek)).toBe(hex(keys.dek));
    expect(swOf(() => parseKeySetDgis(dgis, Buffer.alloc(16)))).toBe(Sw.SECURITY_STATUS_NOT_SATISFIED);
    expect(swOf(() => parseKeySetDgis(dgis.subarray(0, 30), DEK))).toBe(Sw.WRONG_DATA);
  });
});
