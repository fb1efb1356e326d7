import fc from 'fast-check';
import { fromHex, hex } from '../bytes';
import { ApduFormatError } from '../errors';
import { Sw } from '../status-words';
import {
  claForMac,
  claHasSecureMessaging,
  claIsValid,
  claLogicalChannel,
  claWithLogicalChannel,
  claWithSecureMessaging,
} from './cla';
import { CommandApdu } from './command-apdu';
import { ResponseApdu } from './response-apdu';

describe('CommandApdu', () => {
  it.each([
    ['case 1', '80F22002', 1, 0, undefined],
    ['case 2 short, Le 00 = 256', '80CA006600', 2, 0, 256],
    ['case 3 short', '80F220020A4F0212345C054F9F70C5', 3, 10, undefined],
    ['case 4 short', '80F28002024F0000', 4, 2, 256],
    ['case 2 extended', '00B00000000100', 2, 0, 256],
    ['case 3 extended', '80E20000000003010203', 3, 3, undefined],
    ['case 4 extended, Le 0000 = 65536', '80E200000000030102030000', 4, 3, 65536],
  ])('%s round-trips', (_name, apdu, isoCase, lc, ne) => {
    const command = CommandApdu.parse(fromHex(apdu));
    expect(command.isoCase).toBe(isoCase);
    expect(command.data).toHaveLength(lc);
    expect(command.ne).toBe(ne);
    expect(command.toString()).toBe(apdu);
  });

  it('switches to extended length when data exceeds 255 bytes', () => {
    const command = new CommandApdu(0x80, 0xe2, 0x00, 0x00, Buffer.alloc(300), 256);
    expect(command.isExtended).toBe(true);
    expect(hex(command.toBytes().subarray(4, 7))).toBe('00012C');
    expect(CommandApdu.parse(command.toBytes()).data).toHaveLength(300);
  });

  it.each([
    ['shorter than a header', '80F220'],
    ['Lc larger than the body', '80F2200205AABB'],
    ['Lc smaller than the body', '80F2200201AABBCCDD'],
    ['two-byte body starting with 00', '80F220020000'],
    ['extended Lc of zero', '80F2200200000000'],
    ['extended Lc beyond the body', '80F2200200000502'],
  ])('rejects %s with 6700', (_name, apdu) => {
    expect(() => CommandApdu.parse(fromHex(apdu))).toThrow(ApduFormatError);
    try {
      CommandApdu.parse(fromHex(apdu));
    } catch (error) {
      expect((error as ApduFormatError).sw).toBe(Sw.WRONG_LENGTH);
    }
  });

  it('parses whatever it serialises (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 255 }),
        fc.uint8Array({ maxLength: 400 }),
        fc.option(fc.integer({ min: 1, max: 65536 }), { nil: undefined }),
        (ins, data, ne) => {
          const command = new CommandApdu(0x80, ins, 1, 2, data, ne);
          const parsed = CommandApdu.parse(command.toBytes());
          expect(hex(parsed.data)).toBe(hex(data));
          expect(parsed.ne).toBe(ne);
        },
      ),
    );
  });
});

describe('ResponseApdu', () => {
  it('splits data and status word', () => {
    const response = ResponseApdu.parse(fromHex('0102039000'));
    expect(hex(response.data)).toBe('010203');
    expect(response.isOk).toBe(true);
    expect(ResponseApdu.parse(fromHex('6310')).isSuccessOrWarning).toBe(true);
    expect(ResponseApdu.parse(fromHex('6982')).isSuccessOrWarning).toBe(false);
  });
});

describe('CLA helpers', () => {
  it('reads and sets logical channels in both codings', () => {
    expect(claLogicalChannel(0x03)).toBe(3);
    expect(claLogicalChannel(0x87)).toBe(3);
    expect(claLogicalChannel(0x41)).toBe(5);
    expect(claWithLogicalChannel(0x80, 2)).toBe(0x82);
    expect(claWithLogicalChannel(0x84, 2)).toBe(0x86);
    expect(claWithLogicalChannel(0x84, 5)).toBe(0xe1);
    expect(claWithLogicalChannel(0x00, 19)).toBe(0x4f);
    expect(claWithLogicalChannel(0xe1, 1)).toBe(0x85);
  });

  it('handles the GP secure messaging indication', () => {
    expect(claWithSecureMessaging(0x80)).toBe(0x84);
    expect(claWithSecureMessaging(0x00)).toBe(0x04);
    expect(claWithSecureMessaging(0xc1)).toBe(0xe1);
    expect(claWithSecureMessaging(0x86, false)).toBe(0x82);
    expect(claHasSecureMessaging(0xe0)).toBe(true);
    expect(claHasSecureMessaging(0x83)).toBe(false);
    expect(claForMac(0x87)).toBe(0x84);
    expect(claForMac(0x65)).toBe(0x04);
  });

  it('rejects RFU classes', () => {
    expect(claIsValid(0xff)).toBe(false);
    expect(claIsValid(0x20)).toBe(false);
    expect(claIsValid(0xa0)).toBe(false);
    expect(claIsValid(0x80)).toBe(true);
    expect(claIsValid(0x00)).toBe(true);
  });
});
