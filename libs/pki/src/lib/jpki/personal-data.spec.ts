import { decodeJpkiPersonalData, encodeJpkiPersonalData, jpkiDateOfBirth, PersonalDataError, validateJpkiPersonalData, type JpkiPersonalData } from './personal-data';
import type * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { generalNamesDer } from '../x509/extensions';

const HOLDER: JpkiPersonalData = {
  name: '公的　次郎',
  gender: '1',
  dateOfBirth: '319800217',
  address: '北海道札幌市中央区北１条西２丁目',
};

describe('JPKI personal data (基本4情報)', () => {
  it.each([
    ['1912-07-29', '119120729'],
    ['1912-07-30', '219120730'],
    ['1926-12-25', '319261225'],
    ['1989-01-07', '319890107'],
    ['1989-01-08', '419890108'],
    ['2019-04-30', '420190430'],
    ['2019-05-01', '520190501'],
  ])('encodes %s as %s (era digit + Gregorian date)', (iso, expected) => {
    expect(jpkiDateOfBirth(iso)).toBe(expected);
  });

  it('round-trips through the subjectAltName otherNames', () => {
    const withMaps = { ...HOLDER, nameSubstitute: '00000', addressSubstitute: '0000000000' };
    expect(decodeJpkiPersonalData(generalNamesDer(encodeJpkiPersonalData(withMaps)))).toEqual(withMaps);
  });

  it('validates gender, date of birth (including era consistency) and address length', () => {
    expect(validateJpkiPersonalData({ ...HOLDER, gender: '9' as never, dateOfBirth: '419800217', address: 'x'.repeat(201) })).toEqual([
      'gender code 9 is not 1, 2 or 3',
      'date of birth 419800217 is not EYYYYMMDD',
      'address exceeds 200 characters',
    ]);
    expect(() => encodeJpkiPersonalData({ ...HOLDER, dateOfBirth: '3198002300' })).toThrow(PersonalDataError);
  });

  it('rejects a SAN lacking a mandatory field and returns undefined for SANs without JPKI data', () => {
    const [, ...withoutName] = encodeJpkiPersonalData(HOLDER);
    expect(() => decodeJpkiPersonalData(generalNamesDer(withoutName))).toThrow('lacks 1.2.392.200149.8.5.5.1');
    expect(decodeJpkiPersonalData(generalNamesDer([new pkijs.GeneralName({ type: 2, value: 'exa' }).toSchema() as asn1js.AsnType]))).toBeUndefined();
  });
});
