import type { Carrier, DeviceBinding, MvnoId, SealedBox } from '@jpki/contracts';

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
  iccid?: string;
  scp03KeyBytes?: 16 | 24 | 32;
  temporaryKvn?: number;
  csr?: string;
  serial?: string;
  certificate?: string;
  notAfter?: string;
  /** The CA-generated private key, sealed to the SP-TSM's transport key (delivered mode only). */
  deliveredKey?: SealedBox;
}

export function deviceOf(d: EnrollmentData): DeviceBinding {
  if (!d.iccid) throw new Error('no ICCID yet');
  return { kind: 'sim', iccid: d.iccid, msisdn: d.msisdn, carrier: d.carrier, ...(d.mvno ? { mvno: d.mvno } : {}) };
}
