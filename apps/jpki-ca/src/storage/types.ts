import type { CertificateKind, DeviceBinding, RevocationReason } from '@jpki/contracts';

export type { CertificateKind };

/** The CAs of the simulated hierarchy. */
export type CaId = 'root' | 'user-authentication' | 'digital-signature';
/** Issuing CAs (the ones that issue subscriber certificates and have OCSP responders). */
export type IssuingCaId = Exclude<CaId, 'root'>;
export type ResponderId = `${IssuingCaId}-ocsp`;
export type AuthorityId = CaId | ResponderId;

export const ISSUING_CAS: readonly IssuingCaId[] = ['user-authentication', 'digital-signature'];
export const ALL_CAS: readonly CaId[] = ['root', ...ISSUING_CAS];
export const responderOf = (ca: IssuingCaId): ResponderId => `${ca}-ocsp`;

export type CardCertificateKind = Extract<CertificateKind, `card-${string}`>;
export type PhoneCertificateKind = Extract<CertificateKind, `phone-${string}`>;
export const PHONE_KINDS: readonly PhoneCertificateKind[] = ['phone-user-authentication', 'phone-signing'];
export const isPhoneKind = (kind: CertificateKind): kind is PhoneCertificateKind => kind.startsWith('phone-');
/** The phone certificates that follow each card certificate (its revocation or hold cascades to them). */
export const PHONE_FOLLOWER: Readonly<Record<CardCertificateKind, PhoneCertificateKind>> = {
  'card-user-authentication': 'phone-user-authentication',
  'card-signing': 'phone-signing',
};
/**
 * The order in which one operation changes both card certificates: user-authentication first, so that the event the
 * lifecycle service opens its card case on (the cascade to the phones) comes before the signing certificate's.
 */
export const CARD_KINDS: readonly CardCertificateKind[] = ['card-user-authentication', 'card-signing'];
export type CertificateStatusValue = 'good' | 'on-hold' | 'revoked';
export type KeyMode = 'csr' | 'ca-generated' | 'renewal' | 'card';

export interface AuthorityRow {
  readonly caId: AuthorityId;
  readonly generation: number;
  readonly serial: string;
  readonly certificate: Buffer;
  readonly sealedPrivateKey: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

export interface CertificateRow {
  readonly serial: string;
  readonly issuerCa: IssuingCaId;
  readonly kind: CertificateKind;
  readonly personId: string;
  readonly requestId: string;
  readonly enrollmentId: string | null;
  readonly device: DeviceBinding | null;
  /** The secure element holding a phone certificate's key: a SIM's ICCID or an eSE's SEID (null for iPhone and card). */
  readonly seid: string | null;
  readonly der: Buffer;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly issuedAt: Date;
  readonly status: CertificateStatusValue;
  readonly revocationReason: RevocationReason | null;
  readonly revokedAt: Date | null;
  readonly statusVersion: number;
}

export interface LintFindingRecord {
  readonly code: string;
  readonly message: string;
}

export interface SealedBoxRecord {
  readonly alg: 'ECDH-ES+A256GCM';
  readonly recipient: string;
  readonly epk: string;
  readonly iv: string;
  readonly ciphertext: string;
  readonly tag: string;
}

export interface IssuanceRow {
  readonly requestId: string;
  readonly requestDigest: string;
  readonly serial: string;
  readonly issuerCa: IssuingCaId;
  readonly kind: CertificateKind;
  readonly personId: string;
  readonly enrollmentId: string | null;
  readonly device: DeviceBinding | null;
  readonly keyMode: KeyMode;
  readonly subjectPublicKeyInfo: Buffer;
  readonly tbsCertificate: Buffer;
  readonly lintingCertificate: Buffer;
  readonly lintFindings: readonly LintFindingRecord[];
  readonly cardNotAfter: Date | null;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly deliveredKey: SealedBoxRecord | null;
  readonly state: 'allocated' | 'issued' | 'failed';
  readonly failureReason: string | null;
  readonly failureDetail: string | null;
  readonly supersededSerials: readonly string[];
  /** The identity proofing record this issuance consumed (none for card certificates and renewals). */
  readonly proofingRequestId: string | null;
}

export type NewIssuance = Omit<IssuanceRow, 'state' | 'failureReason' | 'failureDetail' | 'supersededSerials'> & {
  readonly state: 'allocated' | 'failed';
  readonly failureReason?: string | null;
  readonly failureDetail?: string | null;
};

/** The CA's own identity proofing decision, and the issuances that consumed it (one per phone certificate at most). */
export interface ProofingRecord {
  readonly requestId: string;
  readonly verified: boolean;
  readonly reason: string | null;
  readonly personId: string | null;
  readonly signingCertificateSerial: string | null;
  readonly application: Record<string, unknown> | null;
  readonly decidedAt: Date;
  /** The phone user-authentication issuance that consumed the record. */
  readonly consumedBy: string | null;
  /** The phone signing issuance that consumed the record (when the application asked for one). */
  readonly signingConsumedBy: string | null;
  readonly consumedAt: Date | null;
}

export interface StatusChangeRecord {
  readonly certificate: CertificateRow;
  readonly previous: CertificateStatusValue;
  readonly changedAt: Date;
}

export interface OcspEntry {
  readonly serial: string;
  readonly issuerCa: IssuingCaId;
  readonly status: CertificateStatusValue;
  readonly revocationReason: RevocationReason | null;
  readonly revokedAt: Date | null;
  readonly statusVersion: number;
  readonly preSigned?: { readonly certId: Buffer; readonly response: Buffer; readonly statusVersion: number; readonly nextUpdate: Date };
}

export interface CrlRow {
  readonly caId: CaId;
  readonly crlNumber: bigint;
  readonly baseCrlNumber: bigint | null;
  readonly isBase: boolean;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date;
  readonly coveredChangeId: number;
  readonly entries: number;
  readonly der: Buffer;
}

export interface AuditEntry {
  readonly occurredAt: Date;
  readonly actor: string;
  readonly action: string;
  readonly subject?: string;
  readonly details?: Record<string, unknown>;
}

export interface AuditRow extends AuditEntry {
  readonly seq: number;
  readonly recordedAt: Date;
  readonly prevHash: string;
  readonly hash: string;
}

export interface AuditVerification {
  readonly valid: boolean;
  readonly entries: number;
  readonly firstInvalidSeq: number | null;
  readonly problem: string | null;
  readonly headSeq: number | null;
  readonly headHash: string | null;
}
