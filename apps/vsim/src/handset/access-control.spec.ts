import fc from 'fast-check';
import { buildSelect, buildVerify, claLogicalChannel, claIsValid, hex, JpkiAid, Scp03KeySet } from '@jpki/globalplatform';
import { DEFAULT_ISD_AID, VirtualUicc } from '@jpki/uicc';
import { aidAllowed, checkOpenChannel, checkTransmit, isRefusal, parseAidRules } from './access-control';

const JPKI = hex(JpkiAid.DEFAULT_INSTANCE);

describe('ARA-style access rules', () => {
  it('parses exact and prefix rules and refuses garbage', () => {
    const rules = parseAidRules(`${JPKI}, d392f0002601000001*`);
    expect(rules).toEqual([
      { aid: JPKI, prefix: false },
      { aid: 'D392F0002601000001', prefix: true },
    ]);
    expect(aidAllowed(rules, 'd392f000260100000101')).toBe(true);
    expect(aidAllowed(rules, 'D392F000260100000177')).toBe(true);
    expect(aidAllowed(rules, 'A000000151000000')).toBe(false);
    expect(() => parseAidRules('')).toThrow(/at least one/);
    expect(() => parseAidRules('A0000001')).toThrow(/not an AID/);
    expect(() => parseAidRules('XYZ123456789')).toThrow(/not an AID/);
  });

  it('never opens a channel to a security domain, even when a rule lists it', () => {
    const image = VirtualUicc.manufacture({
      iccid: '8981100000000000099',
      isdKeyset: new Scp03KeySet(0x30, Buffer.alloc(16, 1), Buffer.alloc(16, 2), Buffer.alloc(16, 3)),
      memoryQuotaBytes: 32 * 1024,
    }).toImage();
    const isd = hex(DEFAULT_ISD_AID);
    const rules = parseAidRules(`${JPKI},${isd}`);
    expect(checkOpenChannel(rules, isd, image)).toMatchObject({ status: 403, reason: 'ACCESS_DENIED_BY_ARA' });
    expect(checkOpenChannel(rules, 'A0000005591010FFFFFFFF8900000100', image)).toMatchObject({ status: 403 });
    expect(checkOpenChannel(rules, JPKI, image)).toBeUndefined();
  });
});

describe('handset APDU checks', () => {
  it('moves allowed APDUs to the channel and refuses channel switches and secure-channel initiation', () => {
    const verify = checkTransmit(buildVerify().toString(), 2, JPKI);
    expect(isRefusal(verify)).toBe(false);
    expect(!isRefusal(verify) && hex(verify.bytes)).toBe('02200081');
    expect(checkTransmit('0070000001', 1, JPKI)).toMatchObject({ status: 403, reason: 'CHANNEL_SWITCH_DENIED' });
    expect(checkTransmit(buildSelect(DEFAULT_ISD_AID).toString(), 1, JPKI)).toMatchObject({ reason: 'CHANNEL_SWITCH_DENIED' });
    expect(checkTransmit('00A4040000', 1, JPKI)).toMatchObject({ reason: 'CHANNEL_SWITCH_DENIED' });
    expect(isRefusal(checkTransmit(buildSelect(JpkiAid.DEFAULT_INSTANCE).toString(), 1, JPKI))).toBe(false);
    expect(checkTransmit('8050300008' + '11'.repeat(8) + '00', 1, JPKI)).toMatchObject({ reason: 'ACCESS_DENIED_BY_ARA' });
    expect(checkTransmit('8482330010' + '00'.repeat(16), 1, JPKI)).toMatchObject({ reason: 'ACCESS_DENIED_BY_ARA' });
  });

  it('answers malformed input with 400 and a reason', () => {
    expect(checkTransmit('0G20', 1, JPKI)).toMatchObject({ status: 400, reason: 'APDU_HEX_INVALID' });
    expect(checkTransmit('00A', 1, JPKI)).toMatchObject({ status: 400, reason: 'APDU_HEX_INVALID' });
    expect(checkTransmit('002000', 1, JPKI)).toMatchObject({ status: 400, reason: 'APDU_TOO_SHORT' });
    expect(checkTransmit('0020008105313233', 1, JPKI)).toMatchObject({ status: 400, reason: 'APDU_LENGTH_INVALID' });
    expect(checkTransmit('00'.repeat(5000), 1, JPKI)).toMatchObject({ status: 400, reason: 'APDU_TOO_LONG' });
  });

  it('(property) any string is either refused with a reason or sent on the right channel with its header intact', () => {
    const anyHex = fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('hex'));
    fc.assert(
      fc.property(fc.oneof(anyHex, fc.string()), fc.integer({ min: 1, max: 3 }), (text, channel) => {
        const result = checkTransmit(text, channel, JPKI);
        if (isRefusal(result)) {
          expect([400, 403]).toContain(result.status);
          expect(result.reason).toMatch(/^[A-Z_]+$/);
          return;
        }
        const original = Buffer.from(text, 'hex');
        expect(result.bytes.subarray(1)).toEqual(original.subarray(1));
        if (claIsValid(original[0])) expect(claLogicalChannel(result.bytes[0])).toBe(channel);
      }),
      { numRuns: 1000 },
    );
  });
});
