import { z } from 'zod/v4';
import { CARRIERS, type Carrier } from './topics';

export const carrierSchema = z.enum(CARRIERS);

/** ICCID: 19 or 20 digits starting with the telecom prefix 89 (ITU-T E.118). */
export const iccidSchema = z.string().regex(/^89\d{17,18}$/, 'ICCID: 19–20 digits starting with 89');
/**
 * The secure elements a phone's JPKI applet can live in: the carrier's SIM (`uicc`, managed by the carrier's MNO-TSM)
 * or the handset's embedded SE (`ese`, managed by the SE-management TSM). A SEID names either: the ICCID of a UICC, or
 * `E5` and 18 hex digits for an eSE (its 10-byte card identification, also the KDD its ISD keys are diversified with).
 * The two forms cannot collide, so a SEID tells its own kind.
 */
export const SE_KINDS = ['uicc', 'ese'] as const;
export type SeKind = (typeof SE_KINDS)[number];
export const seKindSchema = z.enum(SE_KINDS);
export const eseSeidSchema = z.string().regex(/^E5[0-9A-F]{18}$/, 'eSE SEID: E5 followed by 18 upper-case hex digits');
export const seidSchema = z.union([iccidSchema, eseSeidSchema]);
export const seKindOf = (seid: string): SeKind => (seid.startsWith('E5') ? 'ese' : 'uicc');

/**
 * The card a TSM operation addresses: a carrier's SIM (`carrier` + `iccid`, on that carrier's topics) or an embedded
 * SE (`seid`, on the SE-management TSM's topics). `topicOf` routes by which of the two the payload names.
 */
export const simAddress = { carrier: carrierSchema, iccid: iccidSchema };
export const eseAddress = { seid: eseSeidSchema };
export type SeAddress = { readonly carrier: Carrier; readonly iccid: string } | { readonly seid: string };
/** A TSM operation's payload: `fields`, addressed either to a carrier's SIM or to an embedded SE. */
export const seAddressed = <T extends z.ZodRawShape>(fields: T) =>
  z.union([z.object({ ...fields, ...simAddress }), z.object({ ...fields, ...eseAddress })]);
/** How a TSM operation addresses the card `seid`: an eSE by its SEID, a SIM by its carrier and ICCID. */
export const seAddressOf = (seid: string, carrier: Carrier): SeAddress => (seKindOf(seid) === 'ese' ? { seid } : { carrier, iccid: seid });
/** A secure element named without a TSM route: a SIM by its ICCID, an eSE by its SEID (between lifecycle and the SP-TSM). */
export type SeTarget = { readonly iccid: string } | { readonly seid: string };
export const seTargeted = <T extends z.ZodRawShape>(fields: T) =>
  z.union([z.object({ ...fields, iccid: iccidSchema }), z.object({ ...fields, ...eseAddress })]);
export const seTargetOf = (seid: string): SeTarget => (seKindOf(seid) === 'ese' ? { seid } : { iccid: seid });
/** The SEID of the card a payload addresses or names. */
export const seidOf = (address: SeTarget): string => ('seid' in address ? address.seid : address.iccid);

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
