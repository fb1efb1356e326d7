/**
 * RA revocation policy (docs/DESIGN.md §3.5, §3.8):
 * - RFC 5280 reasons; `removeFromCRL` is not a revocation (use hold release), `cACompromise` is not a
 *   subscriber reason.
 * - `certificateHold` puts any subscriber certificate on hold; only phone user-authentication certificates
 *   can be released (一時利用停止の解除). A card hold is never released (一時保留の解除は行わない): it can only be
 *   revoked for good afterwards.
 * - A phone certificate follows the card certificate of its own function (docs/DESIGN.md §3.5): revoking or
 *   holding the card user-authentication certificate cascades to every active phone user-authentication
 *   certificate of the person, the card signing certificate to every active phone signing certificate, with reason
 *   `cessationOfOperation`: the card certificate the phone certificate was derived from, and is bounded by, no
 *   longer stands behind it. The phone key is not compromised (not keyCompromise), nothing replaced it (not
 *   superseded), and the cascade is final (not certificateHold: a card hold is never released either). A 4-info
 *   change (card signing `affiliationChanged`) passes its reason on to the phone signing certificates and leaves the
 *   user-authentication certificates, card and phone, valid.
 * - A command over Kafka (`via`) changes phone certificates only, for its producer's purpose (command-policy.ts);
 *   card certificates change through the CA's operator API alone.
 * - Refusals change nothing.
 */
import { Injectable } from '@nestjs/common';
import type { RevocationReason } from '@jpki/contracts';
import { Clock } from '@jpki/service-kit';
import { CaStore } from '../storage/ca-store';
import { isPhoneKind, PHONE_FOLLOWER, type CertificateRow } from '../storage/types';
import type { CaTransaction } from './ca-transaction';
import { cardCertificateRefusal, purposeRefusal, type CommandRefusal, type CommandRefusalReason } from './command-policy';
import { StatusChanges } from './status-changes';

export const CARD_CASCADE_REASON: RevocationReason = 'cessationOfOperation';

export type RevocationTarget = { by: 'serial'; serial: string } | { by: 'person-phones'; personId: string } | { by: 'iccid'; iccid: string; carrier?: string };

export interface RevokeCommand {
  readonly requestId?: string;
  readonly target: RevocationTarget;
  readonly reason: RevocationReason;
  readonly requestedBy: string;
  readonly comment?: string;
  /** Asked over Kafka by this (verified) producer; absent for the CA's own operator API. */
  readonly via?: { readonly producer: string };
}

export interface ReleaseHoldCommand {
  readonly requestId?: string;
  readonly serial: string;
  readonly requestedBy: string;
  /** Asked over Kafka by this (verified) producer; absent for the CA's own operator API. */
  readonly via?: { readonly producer: string };
}

export type RevocationRefusalReason =
  | 'CERTIFICATE_UNKNOWN'
  | 'ALREADY_REVOKED'
  | 'ALREADY_ON_HOLD'
  | 'NOT_ON_HOLD'
  | 'HOLD_NOT_RELEASABLE'
  | 'REASON_NOT_ALLOWED'
  | CommandRefusalReason;

export type RevocationOutcome =
  | { readonly ok: true; readonly changed: readonly CertificateRow[]; readonly cascaded: readonly CertificateRow[] }
  | { readonly ok: false; readonly reason: RevocationRefusalReason; readonly detail: string };

interface CardRevocationOutcome {
  readonly changed: readonly CertificateRow[];
  readonly cascaded: readonly CertificateRow[];
  readonly refusals: readonly Extract<RevocationOutcome, { ok: false }>[];
}

const refuse = (reason: RevocationRefusalReason, detail: string): RevocationOutcome => ({ ok: false, reason, detail });
const refused = (r: CommandRefusal): RevocationOutcome => refuse(r.reason, r.detail);


@Injectable()
export class RevocationService {
  constructor(
    private readonly store: CaStore,
    private readonly statuses: StatusChanges,
    private readonly clock: Clock,
  ) {}

  async revoke(tx: CaTransaction, command: RevokeCommand): Promise<RevocationOutcome> {
    const outcome = await this.decideRevocation(tx, command);
    tx.audit({
      occurredAt: this.clock.now(),
      action: outcome.ok ? 'revocation.applied' : 'revocation.refused',
      subject: describeTarget(command.target),
      details: {
        requestId: command.requestId ?? null,
        reason: command.reason,
        requestedBy: command.requestedBy,
        comment: command.comment ?? null,
        ...(outcome.ok
          ? { serials: outcome.changed.map((c) => c.serial), cascaded: outcome.cascaded.map((c) => c.serial) }
          : { refusal: outcome.reason, detail: outcome.detail }),
      },
    });
    return outcome;
  }

  /** Revokes (or holds) card certificates one by one, in the order given (CARD_KINDS); refusals do not stop the rest. */
  async revokeCardCertificates(tx: CaTransaction, cards: readonly CertificateRow[], command: Omit<RevokeCommand, 'target'>): Promise<CardRevocationOutcome> {
    const changed: CertificateRow[] = [];
    const cascaded: CertificateRow[] = [];
    const refusals: Extract<RevocationOutcome, { ok: false }>[] = [];
    for (const card of cards) {
      const outcome = await this.revoke(tx, { ...command, target: { by: 'serial', serial: card.serial } });
      if (!outcome.ok) refusals.push(outcome);
      else {
        changed.push(...outcome.changed);
        cascaded.push(...outcome.cascaded);
      }
    }
    return { changed, cascaded, refusals };
  }

  async releaseHold(tx: CaTransaction, command: ReleaseHoldCommand): Promise<RevocationOutcome> {
    const outcome = await this.decideRelease(tx, command);
    tx.audit({
      occurredAt: this.clock.now(),
      action: outcome.ok ? 'hold-release.applied' : 'hold-release.refused',
      subject: command.serial,
      details: { requestId: command.requestId ?? null, requestedBy: command.requestedBy, ...(outcome.ok ? {} : { refusal: outcome.reason, detail: outcome.detail }) },
    });
    return outcome;
  }

  private async decideRevocation(tx: CaTransaction, command: RevokeCommand): Promise<RevocationOutcome> {
    if (command.reason === 'removeFromCRL') return refuse('REASON_NOT_ALLOWED', 'removeFromCRL is not a revocation reason; release the hold instead');
    if (command.reason === 'cACompromise') return refuse('REASON_NOT_ALLOWED', 'cACompromise does not apply to subscriber certificates');
    const targets = await this.lockTargets(tx, command.target);
    if ('refusal' in targets) return targets.refusal;
    if (command.via) {
      const refusal =
        cardCertificateRefusal(targets.certificates, command.via.producer) ??
        purposeRefusal({ producer: command.via.producer, action: 'revoke', target: command.target, reason: command.reason });
      if (refusal) return refused(refusal);
    }
    const toHold = command.reason === 'certificateHold';
    const applicable = targets.certificates.filter((c) => c.status === 'good' || (c.status === 'on-hold' && !toHold));
    if (applicable.length === 0) {
      const onHold = targets.certificates.some((c) => c.status === 'on-hold');
      return onHold
        ? refuse('ALREADY_ON_HOLD', `${describeTarget(command.target)} is already on hold`)
        : refuse('ALREADY_REVOKED', `${describeTarget(command.target)} is already revoked`);
    }
    const changed: CertificateRow[] = [];
    const cascaded: CertificateRow[] = [];
    for (const certificate of applicable) {
      const result = await this.statuses.apply(tx, certificate, toHold ? 'on-hold' : 'revoked', command.reason, { requestId: command.requestId });
      if (!result) continue;
      changed.push(result);
      const followers = isPhoneKind(result.kind) ? this.followOnDevice(tx, result, command.requestId) : this.cascadeFromCard(tx, result, command.requestId);
      cascaded.push(...(await followers));
    }
    return { ok: true, changed, cascaded };
  }

  /** Revokes the person's active phone certificates of the card certificate's function after it was revoked or held. */
  async cascadeFromCard(tx: CaTransaction, card: CertificateRow, requestId?: string): Promise<CertificateRow[]> {
    if (isPhoneKind(card.kind)) throw new Error(`${card.serial} is not a card certificate`);
    const phones = await this.store.activePhoneCertificates(tx.manager, { personId: card.personId }, true, [PHONE_FOLLOWER[card.kind]]);
    const reason = cascadeReason(card);
    const revoked: CertificateRow[] = [];
    for (const phone of phones) {
      const result = await this.statuses.apply(tx, phone, 'revoked', reason, {
        requestId,
        cause: { cascadeFrom: card.serial, cardKind: card.kind, cardStatus: card.status, cardReason: card.revocationReason },
      });
      if (result) revoked.push(result);
    }
    return revoked;
  }

  private async decideRelease(tx: CaTransaction, command: ReleaseHoldCommand): Promise<RevocationOutcome> {
    const found = await this.store.findCertificate(command.serial, tx.manager);
    if (!found) return refuse('CERTIFICATE_UNKNOWN', `no subscriber certificate with serial ${command.serial}`);
    await this.store.lockPerson(tx.manager, found.personId);
    const certificate = await this.store.findCertificate(command.serial, tx.manager, true);
    if (!certificate) return refuse('CERTIFICATE_UNKNOWN', `no subscriber certificate with serial ${command.serial}`);
    if (command.via) {
      const refusal = cardCertificateRefusal([certificate], command.via.producer) ?? purposeRefusal({ producer: command.via.producer, action: 'release-hold' });
      if (refusal) return refused(refusal);
    }
    if (!isPhoneKind(certificate.kind)) {
      return refuse('HOLD_NOT_RELEASABLE', `a ${certificate.kind} certificate hold is never released (JPKI: revoke and re-issue the card)`);
    }
    if (certificate.status === 'revoked') return refuse('ALREADY_REVOKED', `certificate ${certificate.serial} is revoked (${certificate.revocationReason})`);
    if (certificate.status === 'good') return refuse('NOT_ON_HOLD', `certificate ${certificate.serial} is not on hold`);
    const released = await this.statuses.apply(tx, certificate, 'good', null, { requestId: command.requestId });
    if (!released) return refuse('NOT_ON_HOLD', `certificate ${certificate.serial} changed concurrently`);
    return { ok: true, changed: [released], cascaded: await this.followOnDevice(tx, released, command.requestId) };
  }

  /**
   * The phone signing certificate follows the user-authentication certificate of its phone: the phone (not the card)
   * is what a loss, a find, a SIM swap or an operator revocation is about, and lifecycle names it by that serial.
   * A supersession is the new issuance's business (it supersedes the certificate of its own kind).
   */
  private async followOnDevice(tx: CaTransaction, phone: CertificateRow, requestId?: string): Promise<CertificateRow[]> {
    if (phone.kind !== 'phone-user-authentication' || !phone.seid || phone.revocationReason === 'superseded') return [];
    const signing = (await this.store.activePhoneCertificates(tx.manager, { seid: phone.seid }, true, ['phone-signing'])).filter(
      (c) => c.personId === phone.personId && c.status !== phone.status,
    );
    const followers: CertificateRow[] = [];
    for (const certificate of signing) {
      const result = await this.statuses.apply(tx, certificate, phone.status, phone.revocationReason, { requestId, cause: { followed: phone.serial } });
      if (result) followers.push(result);
    }
    return followers;
  }

  /** Resolves the target and locks the owners' person rows first, then the certificate rows. */
  private async lockTargets(
    tx: CaTransaction,
    target: RevocationTarget,
  ): Promise<{ certificates: CertificateRow[] } | { refusal: RevocationOutcome }> {
    const m = tx.manager;
    if (target.by === 'serial') {
      const found = await this.store.findCertificate(target.serial, m);
      if (!found) return { refusal: refuse('CERTIFICATE_UNKNOWN', `no subscriber certificate with serial ${target.serial}`) };
      await this.store.lockPerson(m, found.personId);
      const locked = await this.store.findCertificate(target.serial, m, true);
      return locked ? { certificates: [locked] } : { refusal: refuse('CERTIFICATE_UNKNOWN', `certificate ${target.serial} vanished`) };
    }
    if (target.by === 'person-phones') {
      await this.store.lockPerson(m, target.personId);
      const phones = await this.store.activePhoneCertificates(m, { personId: target.personId });
      return phones.length > 0
        ? { certificates: phones }
        : { refusal: refuse('CERTIFICATE_UNKNOWN', `person ${target.personId} has no active phone certificate`) };
    }
    const bound = await this.store.activePhoneCertificates(m, { seid: target.iccid }, false);
    for (const personId of [...new Set(bound.map((c) => c.personId))].sort()) await this.store.lockPerson(m, personId);
    const phones = (await this.store.activePhoneCertificates(m, { seid: target.iccid })).filter(
      (c) => !target.carrier || (c.device?.kind === 'sim' && c.device.carrier === target.carrier),
    );
    return phones.length > 0
      ? { certificates: phones }
      : { refusal: refuse('CERTIFICATE_UNKNOWN', `no active phone certificate is bound to ICCID ${target.iccid}${target.carrier ? ` on ${target.carrier}` : ''}`) };
  }
}

/**
 * A basic-information change (affiliationChanged) is as true of the phone signing certificate, which carries the same
 * personal data, as of the card's: it says so to a relying party. Any other card change ends the phone certificate's
 * standing (cessationOfOperation).
 */
function cascadeReason(card: CertificateRow): RevocationReason {
  return card.revocationReason === 'affiliationChanged' ? 'affiliationChanged' : CARD_CASCADE_REASON;
}

export function describeTarget(target: RevocationTarget): string {
  if (target.by === 'serial') return target.serial;
  if (target.by === 'person-phones') return `person:${target.personId}`;
  return `iccid:${target.iccid}`;
}
