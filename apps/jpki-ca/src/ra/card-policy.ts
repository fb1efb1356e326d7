import type { CertificateRow } from '../storage/types';

export interface CardCertificates {
  readonly 'card-signing'?: CertificateRow;
  readonly 'card-user-authentication'?: CertificateRow;
}

export interface CardProblem {
  readonly reason: 'CARD_CERTIFICATE_REVOKED' | 'CARD_CERTIFICATE_EXPIRED' | 'CARD_CERTIFICATE_MISSING';
  readonly detail: string;
}

/**
 * A phone certificate needs a card whose signing certificate (used for the application) and
 * user-authentication certificate (which bounds the phone certificate's validity) are both good and current.
 */
export function cardProblem(cards: CardCertificates, now: Date): CardProblem | undefined {
  for (const kind of ['card-signing', 'card-user-authentication'] as const) {
    const certificate = cards[kind];
    if (!certificate) return { reason: 'CARD_CERTIFICATE_MISSING', detail: `the person has no ${kind} certificate` };
    if (certificate.status !== 'good') {
      return {
        reason: 'CARD_CERTIFICATE_REVOKED',
        detail: `${kind} certificate ${certificate.serial} is ${certificate.status} (${certificate.revocationReason})`,
      };
    }
    if (certificate.notAfter <= now) return { reason: 'CARD_CERTIFICATE_EXPIRED', detail: `${kind} certificate ${certificate.serial} expired at ${certificate.notAfter.toISOString()}` };
    if (certificate.notBefore > now) return { reason: 'CARD_CERTIFICATE_EXPIRED', detail: `${kind} certificate ${certificate.serial} is not valid before ${certificate.notBefore.toISOString()}` };
  }
  return undefined;
}
