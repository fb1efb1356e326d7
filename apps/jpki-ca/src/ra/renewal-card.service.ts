/**
 * Card renewal (SIMULATION of the municipal window, docs/DESIGN.md §3.5 "card cert renewal / card re-issue"): the person
 * gets a new virtual My Number card (new signing and user-authentication certificates, new keys, new passwords, the
 * details of the person record: ra/person-record.ts) and the previous card certificates are revoked as `superseded` (JPKI:
 * "renewed"). Revoking the user-authentication one cascades to the person's phone certificates (`cessationOfOperation`): phone certificates are tied to the card
 * and must be applied for again. The lifecycle service recognises a card renewal by that `superseded` reason on a card
 * certificate's status change.
 */
import { Injectable } from '@nestjs/common';
import { Clock, ServiceKeys } from '@jpki/service-kit';
import { CaStore } from '../storage/ca-store';
import { CARD_KINDS, type CertificateRow } from '../storage/types';
import { CaTransactions } from './ca-transaction';
import { CitizenError, CitizensService, type IssuedCitizen } from './citizens.service';
import { openPerson } from './person-record';
import { RevocationService } from './revocation.service';

export interface CardRenewal {
  readonly issued: IssuedCitizen;
  readonly superseded: readonly CertificateRow[];
  readonly cascaded: readonly CertificateRow[];
}

@Injectable()
export class CardRenewalService {
  constructor(
    private readonly store: CaStore,
    private readonly citizens: CitizensService,
    private readonly revocations: RevocationService,
    private readonly transactions: CaTransactions,
    private readonly keys: ServiceKeys,
    private readonly clock: Clock,
  ) {}

  async renew(personId: string, credentials: { signingPassword: string; userAuthenticationPin: string }, actor: string, requestedBy: string): Promise<CardRenewal> {
    const person = await this.store.findPerson(personId);
    if (!person) throw new CitizenError('PERSON_UNKNOWN', `no person ${personId}`);
    const details = openPerson(this.keys, personId, person.sealedPersonalData);
    const current = await this.store.currentCardCertificates(personId);
    const previous = CARD_KINDS.flatMap((kind) => current[kind] ?? []).filter((c) => c.status !== 'revoked');
    // 1. The new card first: the person is never left without a valid card.
    const issued = await this.citizens.issue(
      { personId, ...details, signingPassword: credentials.signingPassword, userAuthenticationPin: credentials.userAuthenticationPin },
      actor,
      true,
    );
    // 2. The previous card certificates superseded; the cascade revokes the phone certificates.
    return this.transactions.run(actor, async (tx) => {
      const superseded: CertificateRow[] = [];
      const cascaded: CertificateRow[] = [];
      for (const old of previous) {
        const outcome = await this.revocations.revoke(tx, {
          target: { by: 'serial', serial: old.serial },
          reason: 'superseded',
          requestedBy,
          comment: `card renewal: replaced by ${issued.signing.serial} / ${issued.userAuthentication.serial}`,
        });
        if (outcome.ok) {
          superseded.push(...outcome.changed);
          cascaded.push(...outcome.cascaded);
        }
      }
      tx.audit({
        occurredAt: this.clock.now(),
        action: 'card.renewal',
        subject: personId,
        details: { superseded: superseded.map((c) => c.serial), cascaded: cascaded.map((c) => c.serial) },
      });
      return { issued, superseded, cascaded };
    });
  }
}
