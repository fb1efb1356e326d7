import { seAddressOf, type Carrier, type DeviceBinding, type MvnoId, type SealedBox, type SeAddress } from '@jpki/contracts';
import { StepFailure } from '@jpki/saga';
import type { ExpectedApplication } from './signed-application';

/** What an enrollment saga carries from step to step (no secrets in clear: keys live in the vault). */
export interface EnrollmentData extends Record<string, unknown> {
  enrollmentId: string;
  msisdn: string;
  carrier: Carrier;
  mvno?: MvnoId;
  keyMode: 'on-card' | 'delivered';
  signedApplication: string;
  personId?: string;
  cardUserAuthenticationNotAfter?: string;
  /** An eSE phone: the embedded SE the signed application names (its TSM is the SE-management TSM). */
  seid?: string;
  /** A SIM phone: the SIM the carrier's eligibility answer named. */
  iccid?: string;
  scp03KeyBytes?: 16 | 24 | 32;
  /** S8 or S16 mode of the carrier's SSD, and the largest APDU data field its OTA path carries. */
  scp03SMode?: 8 | 16;
  maxApduDataBytes?: number;
  temporaryKvn?: number;
  /** The 7F49 template of the key pair the applet generated (on-card mode), hex. */
  publicKeyTemplate?: string;
  csr?: string;
  serial?: string;
  certificate?: string;
  notAfter?: string;
  /** The application asked for the phone signing certificate too: the signing instance, its key and certificate. */
  signingCertificate?: boolean;
  signing?: SigningKeyData;
  /** The CA-generated private key, sealed to the SP-TSM's transport key (delivered mode only). */
  deliveredKey?: SealedBox;
}

/** The signing instance's counterpart of the user-authentication key's fields (on-card keys only). */
export interface SigningKeyData {
  publicKeyTemplate?: string;
  csr?: string;
  serial?: string;
  certificate?: string;
  notAfter?: string;
}

/** The CA identity proofing of an enrollment; its issuances consume that record. */
export const proofingRequestId = (enrollmentId: string): string => `${enrollmentId}:proofing`;

export function deviceOf(d: EnrollmentData): DeviceBinding {
  const number = { msisdn: d.msisdn, carrier: d.carrier, ...(d.mvno ? { mvno: d.mvno } : {}) };
  return d.seid ? { kind: 'ese', seid: d.seid, ...number } : { kind: 'sim', iccid: known(d, 'iccid'), ...number };
}

/** The secure element the enrollment provisions: the eSE the application names, or the SIM eligibility found. */
export const seidOfEnrollment = (d: EnrollmentData): string => d.seid ?? known(d, 'iccid');

/** How TSM operations address that secure element (and so which TSM they go to). */
export const tsmAddressOf = (d: EnrollmentData): SeAddress => seAddressOf(seidOfEnrollment(d), d.carrier);

/** A value an earlier step must have recorded; its absence is a broken saga, not a retry case. */
export function known<K extends keyof EnrollmentData>(d: EnrollmentData, key: K): NonNullable<EnrollmentData[K]> {
  const value = d[key];
  if (value === undefined || value === null) throw new StepFailure('SAGA_DATA_MISSING', `${String(key)} is not known at this step`, false);
  return value as NonNullable<EnrollmentData[K]>;
}

/** The request's words for the phone, as the application names them (on-device = on-card, ca-generated = delivered). */
export function expectedApplication(d: Pick<EnrollmentData, 'msisdn' | 'carrier' | 'mvno' | 'keyMode' | 'seid'>): ExpectedApplication {
  const keyMode = d.keyMode === 'on-card' ? 'on-device' : 'ca-generated';
  return { deviceKind: d.seid ? 'ese' : 'sim', keyMode, msisdn: d.msisdn, operator: d.mvno ?? d.carrier, ...(d.seid ? { seid: d.seid } : {}) };
}
