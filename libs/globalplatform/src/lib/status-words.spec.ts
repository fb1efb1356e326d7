import { describeSw, formatSw, isDefinedSw, isSuccessOrWarning, STATUS_WORDS, Sw, sw61xx, sw63Cx } from './status-words';

describe('status words', () => {
  it('names every status word the stack uses', () => {
    const required = [
      0x9000, 0x6283, 0x6300, 0x6310, 0x6581, 0x6700, 0x6881, 0x6882, 0x6982, 0x6983, 0x6984, 0x6985, 0x6986, 0x6999,
      0x6a80, 0x6a81, 0x6a82, 0x6a84, 0x6a86, 0x6a88, 0x6b00, 0x6d00, 0x6e00, 0x6f00,
    ];
    for (const sw of required) {
      expect(STATUS_WORDS.get(sw)?.description).toBeTruthy();
    }
    expect(Object.values(Sw).every((sw) => STATUS_WORDS.has(sw))).toBe(true);
  });

  it('describes the 61xx and 63Cx families', () => {
    expect(sw63Cx(2)).toBe(0x63c2);
    expect(describeSw(0x63c1)?.description).toContain('1 tries left');
    expect(sw61xx(300)).toBe(0x6100);
    expect(sw61xx(13)).toBe(0x610d);
    expect(describeSw(0x6100)?.description).toContain('256');
    expect(isDefinedSw(0x6a83)).toBe(false);
    expect(formatSw(0x6982)).toBe('6982 (SECURITY_STATUS_NOT_SATISFIED)');
  });

  it('classifies responses that SCP03 protects', () => {
    expect(isSuccessOrWarning(0x9000)).toBe(true);
    expect(isSuccessOrWarning(0x6310)).toBe(true);
    expect(isSuccessOrWarning(0x6283)).toBe(true);
    expect(isSuccessOrWarning(0x6a80)).toBe(false);
  });
});
