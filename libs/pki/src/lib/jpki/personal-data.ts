/**
 * The JPKI 基本4情報 carried as subjectAltName otherNames in the 署名用 certificate (docs/DESIGN.md §3.6, §3.7):
 * each value is `[0] EXPLICIT UTF8String` under 1.2.392.200149.8.5.5.x.
 */
import * as asn1js from 'asn1js';
import { Asn1Error } from '../asn1/pkijs-interop';
import { Oid } from '../asn1/oids';
import { decodeCertificate } from '../x509/certificate';
import { decodeOtherNames, findExtension, otherName } from '../x509/extensions';
import { JpkiOid } from './jpki-oids';

/** 1 = male, 2 = female, 3 = not stated/other (docs/DESIGN.md §3.7). */
export type JpkiGenderCode = '1' | '2' | '3';

export interface JpkiPersonalData {
  readonly name: string;
  /** Positions of substitute characters in the name (J-LIS map; real cards show e.g. `00000`). */
  readonly nameSubstitute?: string;
  readonly gender: JpkiGenderCode;
  /** `EYYYYMMDD`: era digit (0 unknown, 1 明治 … 5 令和) then the Gregorian date. */
  readonly dateOfBirth: string;
  /** Address from the prefecture down, ≤ 200 characters. */
  readonly address: string;
  readonly addressSubstitute?: string;
}

export class PersonalDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PersonalDataError';
  }
}

export const JPKI_ADDRESS_MAX_LENGTH = 200;

const DATE_OF_BIRTH_PATTERN = /^([0-5])(\d{4})(\d{2})(\d{2})$/;

/** Gregorian start of each era; 明治 counts from its retroactive start (1868-01-25 Gregorian). */
const ERA_STARTS: readonly { readonly era: number; readonly start: string }[] = [
  { era: 5, start: '2019-05-01' },
  { era: 4, start: '1989-01-08' },
  { era: 3, start: '1926-12-25' },
  { era: 2, start: '1912-07-30' },
  { era: 1, start: '1868-01-25' },
];

/** `EYYYYMMDD` for a Gregorian birth date given as `YYYY-MM-DD`. */
export function jpkiDateOfBirth(isoDate: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(isoDate)) throw new PersonalDataError(`not a YYYY-MM-DD date: ${isoDate}`);
  const era = ERA_STARTS.find(({ start }) => isoDate >= start)?.era ?? 0;
  return `${era}${isoDate.replace(/-/g, '')}`;
}

export function validateJpkiPersonalData(data: JpkiPersonalData): string[] {
  const problems: string[] = [];
  if (data.name.trim().length === 0) problems.push('name is empty');
  if (!['1', '2', '3'].includes(data.gender)) problems.push(`gender code ${data.gender} is not 1, 2 or 3`);
  if (!isValidDateOfBirth(data.dateOfBirth)) problems.push(`date of birth ${data.dateOfBirth} is not EYYYYMMDD`);
  if (data.address.trim().length === 0) problems.push('address is empty');
  if ([...data.address].length > JPKI_ADDRESS_MAX_LENGTH) problems.push(`address exceeds ${JPKI_ADDRESS_MAX_LENGTH} characters`);
  return problems;
}

function isValidDateOfBirth(value: string): boolean {
  const match = DATE_OF_BIRTH_PATTERN.exec(value);
  if (!match) return false;
  const [, era, year, month, day] = match;
  const iso = `${year}-${month}-${day}`;
  const date = new Date(`${iso}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(iso) && (era === '0' || jpkiDateOfBirth(iso)[0] === era);
}

/** otherNames in the order observed on real cards: name, DOB, gender, address, then the substitute maps. */
export function encodeJpkiPersonalData(data: JpkiPersonalData): asn1js.AsnType[] {
  const problems = validateJpkiPersonalData(data);
  if (problems.length > 0) throw new PersonalDataError(problems.join('; '));
  const fields: [string, string | undefined][] = [
    [JpkiOid.personalDataName, data.name],
    [JpkiOid.personalDataDateOfBirth, data.dateOfBirth],
    [JpkiOid.personalDataGender, data.gender],
    [JpkiOid.personalDataAddress, data.address],
    [JpkiOid.personalDataNameSubstitute, data.nameSubstitute],
    [JpkiOid.personalDataAddressSubstitute, data.addressSubstitute],
  ];
  return fields.flatMap(([oid, value]) => (value === undefined ? [] : [otherName(oid, new asn1js.Utf8String({ value }))]));
}

/** Decodes the personal data from a subjectAltName extension value; undefined when it has no JPKI otherNames. */
export function decodeJpkiPersonalData(subjectAltNameValue: Buffer): JpkiPersonalData | undefined {
  const values = new Map<string, string>();
  for (const { typeId, value } of decodeOtherNames(subjectAltNameValue)) {
    if (!typeId.startsWith('1.2.392.200149.8.5.5.')) continue;
    if (!(value instanceof asn1js.Utf8String)) throw new Asn1Error(`JPKI otherName ${typeId} is not a UTF8String`);
    if (values.has(typeId)) throw new PersonalDataError(`duplicate JPKI otherName ${typeId}`);
    values.set(typeId, value.getValue());
  }
  return values.size === 0 ? undefined : personalDataFromValues(values);
}

function personalDataFromValues(values: ReadonlyMap<string, string>): JpkiPersonalData {
  const required = (oid: string): string => {
    const value = values.get(oid);
    if (value === undefined) throw new PersonalDataError(`JPKI personal data lacks ${oid}`);
    return value;
  };
  const data: JpkiPersonalData = {
    name: required(JpkiOid.personalDataName),
    nameSubstitute: values.get(JpkiOid.personalDataNameSubstitute),
    gender: required(JpkiOid.personalDataGender) as JpkiGenderCode,
    dateOfBirth: required(JpkiOid.personalDataDateOfBirth),
    address: required(JpkiOid.personalDataAddress),
    addressSubstitute: values.get(JpkiOid.personalDataAddressSubstitute),
  };
  const problems = validateJpkiPersonalData(data);
  if (problems.length > 0) throw new PersonalDataError(problems.join('; '));
  return data;
}

/** Relying-party helper: the 基本4情報 of a 署名用 certificate, or undefined for certificates without any. */
export function readJpkiPersonalData(certificate: Buffer | string): JpkiPersonalData | undefined {
  const extension = findExtension(decodeCertificate(certificate).tbs.extensions, Oid.subjectAltName);
  return extension ? decodeJpkiPersonalData(extension.value) : undefined;
}
