import type { IphoneMethod, SealedBox } from '@jpki/contracts';
import type { ExpectedApplication } from '../enrollment/signed-application';

export const IPHONE_SAGA_KIND = 'iphone-enrollment';

/** What the iPhone enrollment saga carries (public keys, CSR, attestation, sealed box: nothing secret in clear). */
export interface IphoneEnrollmentData extends Record<string, unknown> {
  enrollmentId: string;
  deviceId: string;
  method: IphoneMethod;
  signedApplication: string;
  csr?: string;
  keyAgreementPublicKey?: string;
  attestation?: string;
  personId?: string;
  deviceModel?: string;
  msisdn?: string;
  serial?: string;
  certificate?: string;
  notAfter?: string;
  /** Method ①: sealed to the device's Secure Enclave key-agreement key; only the device opens it. */
  deliveredKey?: SealedBox;
}

export const proofingRequestId = (enrollmentId: string): string => `${enrollmentId}:proofing`;
export const issuanceRequestId = (enrollmentId: string): string => `${enrollmentId}:issuance`;
/** The associated data the CA binds a delivered key to (`delivered-key/<issuance request id>`). */
export const deliveredKeyAad = (enrollmentId: string): string => `delivered-key/${issuanceRequestId(enrollmentId)}`;
export const iphoneRecipient = (deviceId: string): string => `iphone:${deviceId}`;

/** The request's words for the iPhone, as the application names them. */
export function expectedIphoneApplication(d: Pick<IphoneEnrollmentData, 'deviceId' | 'method'>): ExpectedApplication {
  return { deviceKind: 'iphone', keyMode: d.method === 'device-key' ? 'on-device' : 'ca-generated', deviceId: d.deviceId };
}
