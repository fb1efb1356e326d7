import { z } from 'zod/v4';
import { carrierSchema, eseSeidSchema, msisdnSchema, mvnoSchema } from './common';

/**
 * The phone-enrollment application the device app signs with the card signing key (CMS SignedData, content
 * attached, UTF-8 JSON). Defined by the CA; unknown fields are refused.
 */
export const phoneEnrollmentApplicationSchema = z
  .strictObject({
    purpose: z.literal('phone-enrollment'),
    /** 16–128 characters of base64url: unique per application (replays are refused). */
    nonce: z.string().regex(/^[A-Za-z0-9_-]{16,128}$/, 'nonce: 16–128 base64url characters'),
    /** When the user signed; must be within PROOFING_MAX_AGE_SECONDS of the CA's clock. */
    requestedAt: z.iso.datetime({ offset: true }),
    /** The network operator: a carrier, or an MVNO (riding on its host carrier). Exactly one. */
    carrier: carrierSchema.optional(),
    mvno: mvnoSchema.optional(),
    msisdn: msisdnSchema,
    /** on-device: the SIM applet / secure enclave generates the key (CSR); ca-generated: the CA delivers it. */
    keyMode: z.enum(['on-device', 'ca-generated']),
    /** Where the certificates go: the SIM's applet, the handset's embedded SE (`ese`), or an iPhone's key store. */
    deviceKind: z.enum(['sim', 'ese', 'iphone']).default('sim'),
    /**
     * eSE: the embedded SE the applet goes into. Signed by the card, so nothing between the phone and the CA can
     * direct the issuance to another handset's SE.
     */
    seid: eseSeidSchema.optional(),
    /** The person also asks for the phone signing certificate (スマホ用署名用電子証明書); SIM or eSE, on-device keys only. */
    signingCertificate: z.boolean().optional(),
    deviceModel: z.string().min(1).max(64).optional(),
    /** iPhone: the device the certificate will be bound to (the CA compares it with the issuance's device binding). */
    deviceId: z.string().min(8).max(64).optional(),
    /**
     * iPhone: base64url SHA-256 of the device key's uncompressed P-256 point (App Attest's keyId): the
     * Secure Enclave signing key (on-device) or the key-agreement key the CA seals the key to (ca-generated).
     * Signed by the card, so nothing between the phone and the CA can substitute another key.
     */
    deviceKeyId: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'deviceKeyId: base64url SHA-256').optional(),
  })
  .refine((a) => (a.carrier === undefined) !== (a.mvno === undefined), { message: 'exactly one of carrier or mvno', path: ['carrier'] })
  .refine((a) => (a.deviceKind === 'ese') === (a.seid !== undefined), { message: 'seid names the embedded SE of an eSE phone, and only of one', path: ['seid'] });

export type PhoneEnrollmentApplication = z.infer<typeof phoneEnrollmentApplicationSchema>;
