import { hasValidLuhn, iccidFor, luhnCheckDigit } from './iccid';

describe('ICCID allocation', () => {
  it('computes Luhn check digits (ISO/IEC 7812 examples)', () => {
    expect(luhnCheckDigit('7992739871')).toBe(3);
    expect(hasValidLuhn('79927398713')).toBe(true);
    expect(hasValidLuhn('79927398714')).toBe(false);
    expect(hasValidLuhn('490154203237518')).toBe(true); // an IMEI
  });

  it('builds 19-digit ICCIDs from the carrier prefix and a serial', () => {
    const iccid = iccidFor('898130', 42);
    expect(iccid).toMatch(/^898130000000000042\d$/);
    expect(iccid).toHaveLength(19);
    expect(hasValidLuhn(iccid)).toBe(true);
    expect(() => iccidFor('898130', 10n ** 13n)).toThrow(/does not fit/);
  });
});
