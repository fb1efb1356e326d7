/**
 * Test citizens (SIMULATION): a synthetic person gets a virtual My Number card — a card signing certificate
 * carrying the 基本4情報 and a card user-authentication certificate without personal data, both RSA-2048 —
 * delivered as a card file whose keys are wrapped under the signing password and the user-authentication PIN.
 * Card certificates follow the same allocate → lint → sign → store cycle as phone certificates.
 */
import { Inject, Injectable } from '@nestjs/common';
import { createPublicKey, randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import { issueCardFile, type CardFile } from '@jpki/mynumber-card';
import {
  digitalSignatureSubject,
  exportSpkiDer,
  formatSerialNumber,
  jpkiProfile,
  prepareCertificate,
  randomSerialNumber,
  userAuthenticationSubject,
  type JpkiPersonalData,
  type JpkiProfileId,
} from '@jpki/pki';
import { Clock, SERVICE_CONFIG, ServiceKeys } from '@jpki/service-kit';
import type { CaConfig } from '../config';
import { CertificateAuthority } from '../signer/certificate-authority';
import { KeyPool } from '../signer/key-pool';
import { CaStore } from '../storage/ca-store';
import type { CertificateKind, CertificateRow, IssuanceRow, IssuingCaId } from '../storage/types';
import { CaUrls } from '../urls';
import { CaTransactions } from './ca-transaction';
import { canonicalJson, sha256Hex, wholeSeconds } from './canonical';
import { dateOfBirthProblem, personalDataOf, sealPerson, type PersonDetails } from './person-record';

export interface CitizenInput extends PersonDetails {
  readonly personId?: string;
  readonly signingPassword: string;
  readonly userAuthenticationPin: string;
}

export interface IssuedCitizen {
  readonly personId: string;
  readonly cardFile: CardFile;
  readonly signing: CertificateRow;
  readonly userAuthentication: CertificateRow;
}

export class CitizenError extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

/** The card certificates run to the holder's 5th birthday after issuance (23:59:59 JST), docs/DESIGN.md §3.3. */
export function fifthBirthdayAfter(issuedAt: Date, dateOfBirth: string): Date {
  const [, month, day] = dateOfBirth.split('-').map(Number);
  const jst = new Date(issuedAt.getTime() + 9 * 3600_000);
  const year = jst.getUTCFullYear();
  const birthdayThisYear = Date.UTC(year, month - 1, day, 14, 59, 59);
  const fifthYear = birthdayThisYear > issuedAt.getTime() ? year + 4 : year + 5;
  return new Date(Date.UTC(fifthYear, month - 1, day, 14, 59, 59));
}

@Injectable()
export class CitizensService {
  constructor(
    private readonly store: CaStore,
    private readonly ca: CertificateAuthority,
    private readonly keyPool: KeyPool,
    private readonly keys: ServiceKeys,
    private readonly transactions: CaTransactions,
    private readonly clock: Clock,
    private readonly urls: CaUrls,
    @Inject(SERVICE_CONFIG) private readonly config: CaConfig,
  ) {}

  /** `renewal`: a new card for an existing person (ra/renewal-card.service.ts); the person row is kept. */
  async issue(input: CitizenInput, actor: string, renewal = false): Promise<IssuedCitizen> {
    const personId = input.personId ?? randomUUID();
    const cardId = randomUUID();
    if (!renewal && input.personId && (await this.store.findPerson(input.personId))) throw new CitizenError('PERSON_EXISTS', `person ${input.personId} already exists`);
    const now = wholeSeconds(this.clock.now());
    const dobProblem = dateOfBirthProblem(input.dateOfBirth, now);
    if (dobProblem) throw new CitizenError('DATE_OF_BIRTH_IN_FUTURE', dobProblem);
    const personalData = personalDataOf(input);
    const notAfter = new Date(
      Math.min(
        fifthBirthdayAfter(now, input.dateOfBirth).getTime(),
        this.ca.info('digital-signature').notAfter.getTime(),
        this.ca.info('user-authentication').notAfter.getTime(),
      ),
    );
    if (notAfter <= now) throw new CitizenError('CARD_VALIDITY_EMPTY', 'the card would already be expired');
    const [signingKey, authKey] = (await Promise.all([this.keyPool.take(), this.keyPool.take()])).map((pair) => pair.privateKey);
    const stamp = now.toISOString().replace(/[-:T]/g, '').slice(0, 14);
    const sequence = () => randomBytes(4).readUInt32BE(0).toString().padStart(10, '0').slice(0, 6);

    const signingPlan = await this.plan('digital-signature', 'card-signing', 'jpki-card-digital-signature', {
      requestId: `card:${cardId}:signing`,
      personId,
      key: signingKey,
      now,
      notAfter,
      subject: digitalSignatureSubject({ prefecture: input.prefecture, municipality: input.municipality, commonName: `${stamp}${sequence()}SIM` }),
      personalData,
    });
    const authPlan = await this.plan('user-authentication', 'card-user-authentication', 'jpki-card-user-authentication', {
      requestId: `card:${cardId}:user-authentication`,
      personId,
      key: authKey,
      now,
      notAfter,
      subject: userAuthenticationSubject(`${stamp}${sequence()}UA`),
    });
    const findings = [...signingPlan.lintFindings, ...authPlan.lintFindings];
    if (findings.length > 0) throw new CitizenError('LINT_FAILED', findings.map((f) => `${f.code}: ${f.message}`).join('; '));

    // 1. Person and both serials committed before any signature.
    await this.store.transaction(async (m) => {
      if (!renewal) await this.store.insertPerson(m, personId, sealPerson(this.keys, personId, input), now);
      await this.store.allocateIssuance(signingPlan, [], m);
      await this.store.allocateIssuance(authPlan, [], m);
    });
    // 2. The CA signs (and lints again).
    const [signingDer, authDer] = await Promise.all([
      this.ca.signCertificate('digital-signature', signingPlan, { profile: 'jpki-card-digital-signature' }),
      this.ca.signCertificate('user-authentication', authPlan, { profile: 'jpki-card-user-authentication' }),
    ]);
    // 3. The card file (keys wrapped; never stored by the CA).
    const cardFile = await issueCardFile({
      personId,
      cardId,
      issuedAt: now,
      signing: { certificate: signingDer, privateKey: signingKey },
      userAuthentication: { certificate: authDer, privateKey: authKey },
      signingPassword: input.signingPassword,
      userAuthenticationPin: input.userAuthenticationPin,
      caCertificates: {
        root: this.ca.certificate('root'),
        digitalSignature: this.ca.certificate('digital-signature'),
        userAuthentication: this.ca.certificate('user-authentication'),
      },
      kdf: { N: 2 ** this.config.CARD_FILE_KDF_LOG2N, r: 8, p: 1 },
    });
    // 4. Certificates stored and audited in one transaction.
    const [signing, userAuthentication] = await this.transactions.run(actor, async (tx) => {
      const stored: CertificateRow[] = [];
      for (const [plan, der] of [
        [signingPlan, signingDer],
        [authPlan, authDer],
      ] as const) {
        if (!(await this.store.completeIssuance(tx.manager, plan.requestId, [], now))) throw new Error(`card issuance ${plan.requestId} already completed`);
        stored.push(
          await this.store.insertCertificate(
            tx.manager,
            {
              serial: plan.serial,
              issuerCa: plan.issuerCa,
              kind: plan.kind,
              personId,
              requestId: plan.requestId,
              enrollmentId: null,
              device: null,
              seid: null,
              der,
              notBefore: plan.notBefore,
              notAfter: plan.notAfter,
              issuedAt: now,
            },
            sha256Hex(plan.subjectPublicKeyInfo),
          ),
        );
      }
      tx.audit({
        occurredAt: now,
        action: renewal ? 'card.renewed' : 'card.issued',
        subject: personId,
        details: { cardId, signingSerial: signingPlan.serial, userAuthenticationSerial: authPlan.serial, notAfter: notAfter.toISOString() },
      });
      return stored;
    });
    return { personId, cardFile, signing, userAuthentication };
  }

  private async plan(
    ca: IssuingCaId,
    kind: CertificateKind,
    profile: JpkiProfileId,
    p: {
      requestId: string;
      personId: string;
      key: KeyObject;
      now: Date;
      notAfter: Date;
      subject: Parameters<typeof prepareCertificate>[0]['subject'];
      personalData?: JpkiPersonalData;
    },
  ): Promise<IssuanceRow & { state: 'allocated' }> {
    const serial = formatSerialNumber(randomSerialNumber());
    const subjectPublicKeyInfo = exportSpkiDer(createPublicKey(p.key));
    const prepared = await prepareCertificate({
      profile: jpkiProfile(profile),
      serialNumber: serial,
      subject: p.subject,
      subjectPublicKeyInfo,
      validity: { notBefore: p.now, notAfter: p.notAfter },
      issuer: this.ca.publicIssuer(ca),
      personalData: p.personalData,
      crlDistributionPointUri: this.urls.crl(ca),
      ocspUri: this.urls.ocsp,
      caIssuersUri: this.urls.caCertificate(ca),
    });
    return {
      requestId: p.requestId,
      requestDigest: sha256Hex(canonicalJson({ requestId: p.requestId, personId: p.personId, kind })),
      serial,
      issuerCa: ca,
      kind,
      personId: p.personId,
      enrollmentId: null,
      device: null,
      keyMode: 'card',
      proofingRequestId: null,
      subjectPublicKeyInfo,
      tbsCertificate: prepared.tbsCertificate,
      lintingCertificate: prepared.lintingCertificate,
      lintFindings: prepared.findings.map(({ code, message }) => ({ code, message })),
      cardNotAfter: null,
      notBefore: p.now,
      notAfter: p.notAfter,
      deliveredKey: null,
      state: 'allocated',
      failureReason: null,
      failureDetail: null,
      supersededSerials: [],
    };
  }
}
