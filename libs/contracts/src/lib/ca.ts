import { z } from 'zod/v4';
import {
  base64Schema,
  carrierSchema,
  eseSeidSchema,
  iccidSchema,
  msisdnSchema,
  mvnoSchema,
  requestIdSchema,
  revocationReasonSchema,
  sealedBoxSchema,
  serialSchema,
} from './common';
import { defineMessage, route } from './envelope';
import { Topics } from './topics';

/** The phone a phone certificate is bound to (SIM applet or iPhone key store). */
export const deviceBindingSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('sim'),
    iccid: iccidSchema,
    msisdn: msisdnSchema,
    carrier: carrierSchema,
    mvno: mvnoSchema.optional(),
  }),
  /** A handset whose applet lives in its embedded SE (managed by the SE-management TSM); its number still has an operator. */
  z.object({
    kind: z.literal('ese'),
    seid: eseSeidSchema,
    msisdn: msisdnSchema,
    carrier: carrierSchema,
    mvno: mvnoSchema.optional(),
  }),
  z.object({ kind: z.literal('iphone'), deviceId: z.string().min(8).max(64) }),
]);
export type DeviceBinding = z.infer<typeof deviceBindingSchema>;
/** The secure element a phone certificate's key lives in (a SIM's ICCID or an eSE's SEID); none for an iPhone. */
export const seidOfDevice = (device: DeviceBinding): string | null => (device.kind === 'sim' ? device.iccid : device.kind === 'ese' ? device.seid : null);

export const certificateKindSchema = z.enum(['card-signing', 'card-user-authentication', 'phone-user-authentication', 'phone-signing']);
export type CertificateKind = z.infer<typeof certificateKindSchema>;
/** Which of the phone's two certificates an issuance is for. */
export const phoneCertificateSchema = z.enum(['user-authentication', 'signing']);
export type PhoneCertificate = z.infer<typeof phoneCertificateSchema>;

// ---------- commands to the CA ----------

export const IdentityProofingRequested = defineMessage({
  type: 'ca.identity-proofing.requested',
  schemaVersion: 1,
  ...route(Topics.caCommands, ['sp-tsm']),
  schema: z.object({
    requestId: requestIdSchema,
    /** CMS SignedData (DER, base64) made with the My Number card's signing key over the application JSON. */
    signedApplication: base64Schema.max(64_000),
  }),
  key: (p) => p.requestId,
});

export const CertificateIssuanceRequested = defineMessage({
  type: 'ca.certificate-issuance.requested',
  schemaVersion: 1,
  ...route(Topics.caCommands, ['sp-tsm']),
  schema: z.object({
    /** Issuance happens exactly once per request id; a repeat answers with the same certificate. */
    requestId: requestIdSchema,
    personId: z.uuid(),
    enrollmentId: z.string().min(1).max(64),
    device: deviceBindingSchema,
    /**
     * The CA identity proofing this issuance follows (its requestId). Required for every new key (`csr`,
     * `ca-generated`, SIM or iPhone): the CA issues to the person and card of its own verified record, fresh and used
     * by one issuance request only, and compares the application it verified with `device` and the key mode;
     * `personId` must be the record's. A `renewal` names none (the previous certificate is the CA's record).
     */
    proofingRequestId: requestIdSchema.optional(),
    /**
     * The phone user-authentication certificate (absent or `user-authentication`), or the phone signing certificate
     * (`signing`: only when the signed application asked for it, for a SIM's on-device key; it consumes the same
     * proofing record as the user-authentication issuance, once).
     */
    certificate: phoneCertificateSchema.optional(),
    keySource: z.discriminatedUnion('mode', [
      /**
       * PKCS#10 (DER, base64) whose signature proves possession of the on-device key; for an
       * iPhone key also the device attestation (its format is defined with the iPhone flows).
       */
      z.object({ mode: z.literal('csr'), csr: base64Schema.max(16_000), attestation: base64Schema.max(32_000).optional() }),
      /**
       * The CA generates the key pair and returns the private key sealed to `recipient` (a
       * service's transport key), or, when `recipientKey` is given, to that device-held key
       * agreement key (SPKI DER, base64), so nothing between the CA and the device can open it.
       */
      z.object({
        mode: z.literal('ca-generated'),
        recipient: z.string().min(1).max(64),
        recipientKey: base64Schema.max(1_000).optional(),
        /** iPhone: the device attestation of `recipientKey` (a Secure Enclave P-256 key-agreement key). */
        attestation: base64Schema.max(32_000).optional(),
      }),
      /** Renewal on the same applet: a new certificate for the key of `previousSerial` (same person and device). */
      z.object({ mode: z.literal('renewal'), previousSerial: serialSchema }),
    ]),
  }),
  key: (p) => p.personId,
});

export const RevocationRequested = defineMessage({
  type: 'ca.revocation.requested',
  schemaVersion: 1,
  ...route(Topics.caCommands, ['sp-tsm', 'lifecycle']),
  schema: z.object({
    requestId: requestIdSchema,
    target: z.discriminatedUnion('by', [
      z.object({ by: z.literal('serial'), serial: serialSchema }),
      /** Every active phone certificate of the person (card revocation cascade, contract end). */
      z.object({ by: z.literal('person-phones'), personId: z.uuid() }),
      /**
       * The active phone certificate bound to this SIM; with `carrier` (a carrier's notification: contract end), only
       * one bound to this SIM on that carrier, so one carrier cannot end another carrier's phone.
       */
      z.object({ by: z.literal('iccid'), iccid: iccidSchema, carrier: carrierSchema.optional() }),
    ]),
    reason: revocationReasonSchema,
    requestedBy: z.string().min(1).max(128),
    comment: z.string().max(512).optional(),
  }),
  key: (p) => p.requestId,
});

export const HoldReleaseRequested = defineMessage({
  type: 'ca.hold-release.requested',
  schemaVersion: 1,
  ...route(Topics.caCommands, ['lifecycle']),
  schema: z.object({ requestId: requestIdSchema, serial: serialSchema, requestedBy: z.string().min(1).max(128) }),
  key: (p) => p.requestId,
});

// ---------- CA outcomes ----------

export const IdentityProofingCompleted = defineMessage({
  type: 'ca.identity-proofing.completed',
  schemaVersion: 1,
  ...route(Topics.caEvents, ['jpki-ca']),
  schema: z.object({
    requestId: requestIdSchema,
    verified: z.boolean(),
    /** Machine-readable refusal reason, e.g. SIGNATURE_INVALID, CERTIFICATE_REVOKED, CERTIFICATE_EXPIRED, WRONG_ISSUER_CA. */
    reason: z.string().max(64).optional(),
    detail: z.string().max(1024).optional(),
    personId: z.uuid().optional(),
    signingCertificateSerial: serialSchema.optional(),
    /** A phone certificate never outlives the card's user-authentication certificate. */
    cardUserAuthenticationNotAfter: z.iso.datetime().optional(),
    /** The verified application content (JSON), echoed for the orchestrator. */
    application: z.record(z.string(), z.unknown()).optional(),
  }),
  key: (p) => p.requestId,
});

export const CertificateIssued = defineMessage({
  type: 'ca.certificate.issued',
  schemaVersion: 1,
  ...route(Topics.caEvents, ['jpki-ca']),
  schema: z.object({
    requestId: requestIdSchema,
    personId: z.uuid(),
    enrollmentId: z.string().min(1).max(64),
    serial: serialSchema,
    /** Which of the phone's certificates this is (the signing one only when the application asked for it). */
    kind: z.enum(['phone-user-authentication', 'phone-signing']).default('phone-user-authentication'),
    certificate: base64Schema,
    notBefore: z.iso.datetime(),
    notAfter: z.iso.datetime(),
    device: deviceBindingSchema,
    /** Previous phone certificates of the person (of the same kind) revoked as superseded by this issuance. */
    supersededSerials: z.array(serialSchema),
    /** Only for ca-generated keys: the PKCS#8 private key sealed to the requested recipient. */
    deliveredKey: sealedBoxSchema.optional(),
  }),
  key: (p) => p.personId,
});

export const CertificateIssuanceFailed = defineMessage({
  type: 'ca.certificate-issuance.failed',
  schemaVersion: 1,
  ...route(Topics.caEvents, ['jpki-ca']),
  schema: z.object({
    requestId: requestIdSchema,
    personId: z.uuid().optional(),
    enrollmentId: z.string().max(64).optional(),
    /**
     * e.g. PROOFING_REQUIRED, PROOFING_NOT_FOUND, PROOFING_NOT_VERIFIED, PROOFING_EXPIRED, PROOFING_ALREADY_USED,
     * PROOFING_PERSON_MISMATCH, PROOFING_CARD_REPLACED, APPLICATION_MISMATCH, CSR_SIGNATURE_INVALID, KEY_TOO_SMALL,
     * PERSON_UNKNOWN, CARD_CERTIFICATE_REVOKED, LINT_FAILED.
     */
    reason: z.string().max(64),
    detail: z.string().max(2048).optional(),
  }),
  key: (p) => p.requestId,
});

/** Every status change of any certificate: revocation, hold, hold release, supersession, cascade. */
export const CertificateStatusChanged = defineMessage({
  type: 'ca.certificate.status-changed',
  schemaVersion: 1,
  ...route(Topics.caEvents, ['jpki-ca']),
  schema: z.object({
    serial: serialSchema,
    personId: z.uuid(),
    kind: certificateKindSchema,
    status: z.enum(['good', 'revoked', 'on-hold']),
    reason: revocationReasonSchema.optional(),
    changedAt: z.iso.datetime(),
    /** The request that caused it, when there was one. */
    requestId: requestIdSchema.optional(),
    device: deviceBindingSchema.optional(),
    enrollmentId: z.string().max(64).optional(),
  }),
  key: (p) => p.personId,
});

export const RevocationRefused = defineMessage({
  type: 'ca.revocation.refused',
  schemaVersion: 1,
  ...route(Topics.caEvents, ['jpki-ca']),
  schema: z.object({
    requestId: requestIdSchema,
    /** e.g. CERTIFICATE_UNKNOWN, ALREADY_REVOKED, NOT_ON_HOLD, HOLD_NOT_RELEASABLE. */
    reason: z.string().max(64),
    detail: z.string().max(1024).optional(),
  }),
  key: (p) => p.requestId,
});
