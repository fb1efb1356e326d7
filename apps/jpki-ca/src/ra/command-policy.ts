/**
 * What each service may ask the CA over Kafka (`ca.commands`), per producer and purpose. The routing declared in
 * libs/contracts already limits each command type to its producers (the inbox dead-letters anything else,
 * PRODUCER_NOT_AUTHORIZED): identity proofing and issuance come from sp-tsm, hold releases from lifecycle, revocations
 * from both. Within a revocation, the purpose decides:
 * - lifecycle: holds, releases and revocations of phone certificates (loss, found, revocation for good, device
 *   change, contract end, SIM swap, card cascade follow-up);
 * - sp-tsm: only withdrawing a phone certificate it had issued for an enrollment that then failed (the saga's
 *   compensation: by serial, reason `unspecified`, which JPKI reads as "destroyed before delivery");
 * - nobody: card certificates (signing, card user-authentication). They change only through the CA's own operator
 *   API (`POST /certificates/{serial}/revocation`, `/citizens/{personId}/card/revocation`), whoever sends the command.
 * A refusal is answered like every refused revocation: a `ca.revocation.refused` event with the reason, an audit entry,
 * and nothing changed.
 */
import type { RevocationReason } from '@jpki/contracts';
import { isPhoneKind, type CertificateRow } from '../storage/types';
import type { RevocationTarget } from './revocation.service';

export type CommandRefusalReason = 'CARD_CERTIFICATE_OPERATOR_ONLY' | 'PURPOSE_NOT_ALLOWED';
export interface CommandRefusal {
  readonly reason: CommandRefusalReason;
  readonly detail: string;
}

/** A status change asked over Kafka: who sent it (the verified producer) and what it asks. */
export interface MessageRequest {
  readonly producer: string;
  readonly action: 'revoke' | 'release-hold';
  readonly target?: RevocationTarget;
  readonly reason?: RevocationReason;
}

/** Whether the producer may ask this at all (before the certificates are looked up). */
export function purposeRefusal(request: MessageRequest): CommandRefusal | null {
  if (request.producer === 'lifecycle') return null;
  if (request.producer === 'sp-tsm' && request.action === 'revoke' && request.target?.by === 'serial' && request.reason === 'unspecified') return null;
  const asked = request.action === 'release-hold' ? 'a hold release' : `a revocation (${request.reason}, by ${request.target?.by})`;
  const allowed =
    request.producer === 'sp-tsm'
      ? 'sp-tsm may only withdraw a phone certificate of a failed enrollment (by serial, reason unspecified); holds, releases and revocations are lifecycle’s'
      : `${request.producer} may not change certificate status`;
  return { reason: 'PURPOSE_NOT_ALLOWED', detail: `${asked} from ${request.producer}: ${allowed}` };
}

/** Card certificates change only through the CA's operator API. */
export function cardCertificateRefusal(certificates: readonly CertificateRow[], producer: string): CommandRefusal | null {
  const card = certificates.find((c) => !isPhoneKind(c.kind));
  if (!card) return null;
  return {
    reason: 'CARD_CERTIFICATE_OPERATOR_ONLY',
    detail: `${card.serial} is a ${card.kind} certificate: card certificates change only through the CA's operator API, not by a command from ${producer}`,
  };
}
