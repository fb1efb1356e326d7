import { z } from 'zod/v4';
import { CARRIERS, type Carrier } from './topics';

export const carrierSchema = z.enum(CARRIERS);

/** ICCID: 19 or 20 digits starting with the telecom prefix 89 (ITU-T E.118). */
export const iccidSchema = z.string().regex(/^89\d{17,18}$/, 'ICCID: 19–20 digits starting with 89');
/** Japanese mobile numbers in E.164: +81 then 70/80/90 and 8 digits. */
export const msisdnSchema = z.string().regex(/^\+81[789]0\d{8}$/, 'MSISDN: +81 70/80/90 followed by 8 digits');
export const hexSchema = z.string().regex(/^([0-9A-Fa-f]{2})*$/, 'even-length hex');
export const aidSchema = z.string().regex(/^([0-9A-Fa-f]{2}){5,16}$/, 'AID: 5–16 bytes of hex');
export const base64Schema = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64');
/** Certificate serial numbers travel as upper-case hex without separators. */
export const serialSchema = z.string().regex(/^[0-9A-F]{2,40}$/, 'serial: upper-case hex');
export const requestIdSchema = z.string().min(8).max(128).regex(/^[A-Za-z0-9._:-]+$/);

/** RFC 5280 CRLReason names used across the platform (JPKI meanings in docs/DESIGN.md §3.8). */
export const REVOCATION_REASONS = [
  'unspecified',
  'keyCompromise',
  'cACompromise',
  'affiliationChanged',
  'superseded',
  'cessationOfOperation',
  'certificateHold',
  'removeFromCRL',
  'privilegeWithdrawn',
] as const;
export const revocationReasonSchema = z.enum(REVOCATION_REASONS);
export type RevocationReason = z.infer<typeof revocationReasonSchema>;

/**
 * MVNOs and their host carriers: an MVNO subscriber's SIM belongs to the host's fleet and is
 * reached through the host's MNO-TSM.
 */
export const MVNOS = {
  iijmio: { name: 'IIJmio', hostCarrier: 'docomo' },
  mineo: { name: 'mineo', hostCarrier: 'kddi' },
  linemo: { name: 'LINEMO', hostCarrier: 'softbank' },
} as const satisfies Record<string, { name: string; hostCarrier: Carrier }>;
export type MvnoId = keyof typeof MVNOS;
export const mvnoSchema = z.enum(Object.keys(MVNOS) as [MvnoId, ...MvnoId[]]);

export function hostCarrierOf(operator: Carrier | MvnoId): Carrier {
  return (CARRIERS as readonly string[]).includes(operator) ? (operator as Carrier) : MVNOS[operator as MvnoId].hostCarrier;
}

/**
 * Data sealed to one recipient service (ECDH-ES over X25519 + HKDF-SHA256 + AES-256-GCM):
 * temporary SSD keysets (MNO-TSM → SP-TSM), CA-generated keys (CA → SP-TSM), ISD keysets (MNO-TSM → vSIM).
 * Also to a device-held P-256 key-agreement key (ECDH-ES over P-256, same wire format): CA-generated keys for
 * an iPhone (CA → the iPhone's Secure Enclave, recipient `iphone:<deviceId>`; docs/IPHONE-METHODS.md).
 */
export const sealedBoxSchema = z.object({
  alg: z.literal('ECDH-ES+A256GCM'),
  recipient: z.string().min(1).max(64),
  epk: base64Schema,
  iv: base64Schema,
  ciphertext: base64Schema,
  tag: base64Schema,
});
export type SealedBox = z.infer<typeof sealedBoxSchema>;
