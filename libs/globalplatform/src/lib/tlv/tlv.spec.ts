import fc from 'fast-check';
import { fromHex, hex } from '../bytes';
import { TlvError } from '../errors';
import { Sw } from '../status-words';
import { decodeTlv, decodeTlvs, encodeTlv, isConstructedTag, requireTlv } from './ber-tlv';
import { decodeDgis, encodeDgi } from './dgi';

describe('BER-TLV', () => {
  it('encodes multi-byte tags and long-form lengths', () => {
    expect(hex(encodeTlv(0x9f70, fromHex('07')))).toBe('9F700107');
    expect(hex(encodeTlv(0x7f49, Buffer.alloc(0x109)).subarray(0, 5))).toBe('7F49820109');
    expect(hex(encodeTlv(0xdf01, Buffer.alloc(0x80)).subarray(0, 4))).toBe('DF018180');
  });

  it('decodes nested templates', () => {
    const e3 = decodeTlv(fromHex('E30B4F05A0000001519F700107'));
    expect(e3.tag).toBe(0xe3);
    expect(isConstructedTag(e3.tag)).toBe(true);
    const fields = decodeTlvs(e3.value);
    expect(hex(requireTlv(fields, 0x4f).value)).toBe('A000000151');
    expect(requireTlv(fields, 0x9f70).value[0]).toBe(0x07);
  });

  it.each([
    ['truncated value', '4F05A000'],
    ['indefinite length', '4F80A0000000'],
    ['length field too long', '4F84000000010A'],
    ['truncated multi-byte tag', '9F'],
    ['missing length', '4F'],
    ['padding byte as tag', '00'],
    ['tag longer than 3 bytes', '9FFFFF0100'],
  ])('rejects %s with 6A80', (_name, input) => {
    expect(() => decodeTlvs(fromHex(input))).toThrow(TlvError);
    expect(new TlvError('x').sw).toBe(Sw.WRONG_DATA);
  });

  it('round-trips arbitrary objects (property)', () => {
    const tag = fc.constantFrom(0x4f, 0x84, 0xc9, 0x9f70, 0xdf01, 0x7f49, 0xbf3e, 0x5f2d);
    fc.assert(
      fc.property(fc.array(fc.record({ tag, value: fc.uint8Array({ maxLength: 300 }) }), { maxLength: 5 }), (objects) => {
        const encoded = Buffer.concat(objects.map((o) => encodeTlv(o.tag, o.value)));
        const decoded = decodeTlvs(encoded);
        expect(decoded.map((t) => [t.tag, hex(t.value)])).toEqual(objects.map((o) => [o.tag, hex(o.value)]));
      }),
    );
  });

  it('never throws anything but TlvError on garbage (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          decodeTlvs(bytes);
        } catch (error) {
          expect(error).toBeInstanceOf(TlvError);
        }
      }),
    );
  });
});

describe('DGI', () => {
  it('encodes short and long DGIs', () => {
    expect(hex(encodeDgi(0x8113, fromHex('0102')))).toBe('8113020102');
    const long = encodeDgi(0x0101, Buffer.alloc(300));
    expect(hex(long.subarray(0, 5))).toBe('0101FF012C');
    expect(decodeDgis(Buffer.concat([long, encodeDgi(0x00b9, fromHex('AA'))])).map((d) => d.dgi)).toEqual([0x0101, 0x00b9]);
  });

  it('rejects truncated DGIs', () => {
    expect(() => decodeDgis(fromHex('811305AA'))).toThrow(TlvError);
  });
});
