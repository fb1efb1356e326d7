/**
 * A change of the person's basic four details at the municipality (氏名・住所・生年月日・性別, docs/DESIGN.md §3.5): the
 * person record is updated, and the signing certificates — they carry the old details — are revoked `affiliationChanged`.
 * The user-authentication certificates, card and phone, carry no personal data and stay valid. The next card renewal
 * issues the signing certificate from the updated record.
 */
import { Injectable } from '@nestjs/common';
import { Clock, ServiceKeys } from '@jpki/service-kit';
import { CaStore } from '../storage/ca-store';
import type { CertificateRow } from '../storage/types';
import { CaTransactions } from './ca-transaction';
import { CitizenError } from './citizens.service';
import { dateOfBirthProblem, openPerson, sealPerson, type PersonDetails } from './person-record';
import { RevocationService } from './revocation.service';

const BASIC_FOUR: readonly (keyof PersonDetails)[] = ['name', 'address', 'dateOfBirth', 'gender'];

@Injectable()
export class BasicInformationService {
  constructor(
    private readonly store: CaStore,
    private readonly revocations: RevocationService,
    private readonly transactions: CaTransactions,
    private readonly keys: ServiceKeys,
    private readonly clock: Clock,
  ) {}

  /**
   * `change`: the details that changed, with their new values. Returns the card signing certificate revoked (none when it
   * was revoked already) and the phone signing certificates that followed it.
   */
  async change(personId: string, change: Partial<PersonDetails>, requestedBy: string, comment?: string): Promise<{ changed: readonly CertificateRow[]; cascaded: readonly CertificateRow[] }> {
    const dobProblem = change.dateOfBirth && dateOfBirthProblem(change.dateOfBirth, this.clock.now());
    if (dobProblem) throw new CitizenError('DATE_OF_BIRTH_IN_FUTURE', dobProblem);
    const changed = BASIC_FOUR.filter((field) => change[field] !== undefined);
    return this.transactions.run(`operator:${requestedBy}`, async (tx) => {
      const person = (await this.store.lockPerson(tx.manager, personId)) && (await this.store.findPerson(personId, tx.manager));
      if (!person) throw new CitizenError('PERSON_UNKNOWN', `no person ${personId}`);
      const details = { ...openPerson(this.keys, personId, person.sealedPersonalData), ...change };
      await this.store.updatePerson(tx.manager, personId, sealPerson(this.keys, personId, details));
      const signing = (await this.store.currentCardCertificates(personId, tx.manager))['card-signing'];
      const stale = signing && signing.status !== 'revoked' ? [signing] : [];
      const revoked = await this.revocations.revokeCardCertificates(tx, stale, { reason: 'affiliationChanged', requestedBy, comment: `basic information changed: ${changed.join(', ')}` });
      if (revoked.refusals.length > 0) throw new CitizenError(revoked.refusals[0].reason, revoked.refusals[0].detail);
      const serials = [...revoked.changed, ...revoked.cascaded].map((c) => c.serial);
      tx.audit({ occurredAt: this.clock.now(), action: 'basic-information.changed', subject: personId, details: { changed, revoked: serials, comment: comment ?? null } });
      return { changed: revoked.changed, cascaded: revoked.cascaded };
    });
  }
}
