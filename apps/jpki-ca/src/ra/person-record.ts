/**
 * The person as the municipality registered them: the 基本4情報 in the form the signing certificate carries, and the
 * municipality that issues their card (the signing certificate's subject L). The only personal data the CA keeps,
 * sealed at rest (AtRestCipher, context `jpki-ca/person/<personId>`); a card issuance or renewal reads it from here.
 */
import type { ServiceKeys } from '@jpki/service-kit';
import { jpkiDateOfBirth, type JpkiGenderCode, type JpkiPersonalData } from '@jpki/pki';

export type Gender = 'male' | 'female' | 'other';

/** The details as a municipality (or an integrator's API call) gives them. */
export interface PersonDetails {
  readonly name: string;
  readonly nameSubstitute?: string;
  readonly gender: Gender;
  /** YYYY-MM-DD (Gregorian). */
  readonly dateOfBirth: string;
  readonly address: string;
  readonly prefecture: string;
  readonly municipality: string;
}

interface PersonRecord extends JpkiPersonalData {
  readonly prefecture: string;
  readonly municipality: string;
}

const GENDER_CODES: Readonly<Record<Gender, JpkiGenderCode>> = { male: '1', female: '2', other: '3' };
const GENDERS: Readonly<Record<JpkiGenderCode, Gender>> = { '1': 'male', '2': 'female', '3': 'other' };

/** A date of birth after `now` (the simulation clock's today), or undefined. */
export function dateOfBirthProblem(dateOfBirth: string, now: Date): string | undefined {
  return dateOfBirth > now.toISOString().slice(0, 10) ? `date of birth ${dateOfBirth} is after today` : undefined;
}

/** The 基本4情報 of the signing certificate. */
export function personalDataOf(details: PersonDetails): JpkiPersonalData {
  return {
    name: details.name,
    nameSubstitute: details.nameSubstitute,
    gender: GENDER_CODES[details.gender],
    dateOfBirth: jpkiDateOfBirth(details.dateOfBirth),
    address: details.address,
  };
}

export function sealPerson(keys: ServiceKeys, personId: string, details: PersonDetails): string {
  const record: PersonRecord = { ...personalDataOf(details), prefecture: details.prefecture, municipality: details.municipality };
  return keys.atRest.sealJson(record, context(personId));
}

export function openPerson(keys: ServiceKeys, personId: string, sealed: string): PersonDetails {
  const record = keys.atRest.openJson<PersonRecord>(sealed, context(personId));
  const dateOfBirth = `${record.dateOfBirth.slice(1, 5)}-${record.dateOfBirth.slice(5, 7)}-${record.dateOfBirth.slice(7, 9)}`;
  return {
    name: record.name,
    ...(record.nameSubstitute ? { nameSubstitute: record.nameSubstitute } : {}),
    gender: GENDERS[record.gender],
    dateOfBirth,
    address: record.address,
    prefecture: record.prefecture,
    municipality: record.municipality,
  };
}

const context = (personId: string) => `jpki-ca/person/${personId}`;
