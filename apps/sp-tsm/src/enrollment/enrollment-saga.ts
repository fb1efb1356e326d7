import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  CertificateIssuanceFailed,
  CertificateIssued,
  CertificateIssuanceRequested,
  EligibilityAnswered,
  EligibilityRequested,
  EnrollmentCompleted,
  EnrollmentFailed,
  EnrollmentStateChanged,
  IdentityProofingCompleted,
  IdentityProofingRequested,
  MnoOperationFailed,
  RevocationRequested,
  SsdCreated,
  SsdCreationRequested,
  SsdDeletionRequested,
  type EnrollmentStep,
  type MessageDefinition,
  type PayloadOf,
  type ServiceInstanceState,
} from '@jpki/contracts';
import { fromHex, hex, jpkiInstanceAid, Kvn, publicKeyFromTemplate, Scp03KeySet, type JpkiKeyRole } from '@jpki/globalplatform';
import { Outbox } from '@jpki/messaging';
import { buildCsr, createDigestInfoSigner, exportSpkiDer } from '@jpki/pki';
import { sagaSteps, StepFailure, type Reply, type SagaDefinition, type StepContext, type Transition } from '@jpki/saga';
import { ServiceKeys } from '@jpki/service-kit';
import { OtaCardChannel } from '../card/ota-card-channel';
import { SpCard, ssdChannel } from '../card/sp-card';
import { ServiceInstances } from '../service/service-instances';
import { SP_TSM_CONFIG } from '../tokens';
import { stepPolicies, type SpTsmConfig } from '../config';
import { KeysetVault } from '../keys/keyset-vault';
import { deviceOf, expectedApplication, known, proofingRequestId, seidOfEnrollment, tsmAddressOf, type EnrollmentData, type SigningKeyData } from './enrollment-data';
import { applicationMismatches } from './signed-application';

type Ctx = StepContext<EnrollmentData>;
const APPLET_AID = jpkiInstanceAid('user-authentication');
export const APPLET_AID_HEX = hex(APPLET_AID);
const SIGNING_AID = jpkiInstanceAid('signing');
/** Per applet instance (key, certificate, PIN): the signing instance needs as much again. */
const APPLET_MEMORY_BYTES = 8 * 1024;
const UNIQUE_VIOLATION = '23505';
/** INITIALIZE UPDATE with the temporary KVN answered 6A88: the card has no such keyset (any more). */
const TEMPORARY_KVN_GONE = 'CARD_REJECTED_6A88';

/**
 * The enrollment saga (docs/DESIGN.md §4.1): identity proofing → eligibility → SSD with
 * temporary keys → PUT KEY handover → applet install (content key, on-card key pair) → proof of
 * possession → issuance → certificate write (read back) → activation. Each card step is one OTA
 * script per applet instance: the user-authentication one, and the signing one when the signed
 * application asks for the phone signing certificate. Every step is idempotent (it inspects the card
 * or the recorded reply first), has a deadline and bounded retries; a step that fails for good
 * compensates the earlier ones (delete the SSD, revoke the issued certificates).
 */
@Injectable()
export class EnrollmentSaga {
  readonly definition: SagaDefinition<EnrollmentData>;

  constructor(
    @Inject(SP_TSM_CONFIG) private readonly config: SpTsmConfig,
    private readonly vault: KeysetVault,
    private readonly keys: ServiceKeys,
    private readonly outbox: Outbox,
    private readonly instances: ServiceInstances,
  ) {
    const step = sagaSteps<EnrollmentData, 'request' | 'card'>(stepPolicies(config));
    this.definition = {
      kind: 'enrollment',
      initialState: 'not-deployed',
      failedState: 'in-error',
      steps: [
        step.request('identity-proofing', (ctx) => this.proveIdentity(ctx)),
        step.request('eligibility', (ctx) => this.checkEligibility(ctx)),
        step.request('ssd-creation', (ctx) => this.createSsd(ctx), { stateAfter: 'initialized', compensate: (ctx) => this.deleteSsd(ctx) }),
        step.card('key-handover', (ctx) => this.handOverKeys(ctx)),
        step.card('applet-install', (ctx) => this.installApplet(ctx), { stateAfter: 'installed' }),
        step.card('key-provisioning', (ctx) => this.provisionKey(ctx)),
        step.request('certificate-issuance', (ctx) => this.issue(ctx), { compensate: (ctx) => this.revokeIssued(ctx) }),
        step.card('certificate-write', (ctx) => this.writeCertificate(ctx), { stateAfter: 'personalized' }),
        step.request('activation', (ctx) => this.activate(ctx), { stateAfter: 'operational' }),
      ],
      onTransition: (m, t) => this.publishTransition(m, t),
    };
  }

  private get ssdAid(): Buffer {
    return fromHex(this.config.SSD_AID);
  }

  private spCard(ctx: Ctx, step: EnrollmentStep): SpCard {
    const d = ctx.data;
    if (!d.seid && !d.iccid) throw new StepFailure('NO_SIM', 'eligibility did not name a SIM', false);
    return new SpCard(
      new OtaCardChannel(ctx as never, step, tsmAddressOf(d)),
      this.ssdAid,
      ssdChannel(this.config.SCP03_SECURITY_LEVEL, d),
      this.vault.sequenceCounters(seidOfEnrollment(d), this.config.SSD_AID),
    );
  }

  private async proveIdentity(ctx: Ctx): Promise<Partial<EnrollmentData>> {
    const d = ctx.data;
    const key = proofingRequestId(d.enrollmentId);
    const reply = await ctx.request(IdentityProofingRequested, { requestId: key, signedApplication: d.signedApplication }, key);
    const p = reply.payload as PayloadOf<typeof IdentityProofingCompleted>;
    if (!p.verified) throw new StepFailure(p.reason ?? 'IDENTITY_NOT_PROVEN', p.detail ?? 'the CA refused the application', false);
    const mismatches = applicationMismatches(p.application ?? {}, expectedApplication(d));
    if (mismatches.length > 0) throw new StepFailure('APPLICATION_MISMATCH', `the signed application differs in ${mismatches.join(', ')}`, false);
    await this.holdNumber(ctx);
    return { personId: p.personId, cardUserAuthenticationNotAfter: p.cardUserAuthenticationNotAfter };
  }

  /**
   * Only an enrollment whose holder the CA has proven holds its number: until then anyone could have sent it, and a
   * request that cannot prove an identity must not keep the owner out (one proven enrollment per number at a time).
   */
  private async holdNumber(ctx: Ctx): Promise<void> {
    const d = ctx.data;
    try {
      await ctx.transaction((m) => m.query(`UPDATE enrollment SET holds_msisdn = true WHERE id = $1`, [d.enrollmentId]));
    } catch (err) {
      if ((err as { code?: string }).code !== UNIQUE_VIOLATION) throw err;
      throw new StepFailure('ENROLLMENT_IN_PROGRESS', `another enrollment for ${d.msisdn} is running`, false);
    }
  }

  /**
   * Asks the TSM of the phone's secure element: the carrier's MNO-TSM finds the number's SIM; the SE-management TSM
   * judges the eSE the application names. MVNO rules are the carrier's: an eSE does not depend on them.
   */
  private async checkEligibility(ctx: Ctx): Promise<Partial<EnrollmentData>> {
    const d = ctx.data;
    const key = `${d.enrollmentId}:eligibility`;
    const applet = { aid: APPLET_AID_HEX, requiredMemoryBytes: APPLET_MEMORY_BYTES * (d.signingCertificate ? 2 : 1) };
    const question = d.seid ? { seid: d.seid } : { carrier: d.carrier, msisdn: d.msisdn, ...(d.mvno ? { mvno: d.mvno } : {}) };
    const reply = await ctx.request(EligibilityRequested, { requestId: key, ...question, applet }, key);
    const answer = mnoAnswer<typeof EligibilityAnswered>(reply);
    const seid = 'seid' in answer ? answer.seid : answer.iccid;
    if (!answer.eligible || !seid) throw new StepFailure(answer.reason ?? 'NOT_ELIGIBLE', d.seid ? `eSE ${d.seid}` : `${d.msisdn} on ${d.carrier}`, false);
    if (await ctx.transaction((m) => this.instances.deployedOn(m, seid))) throw new StepFailure('SIM_ALREADY_ENROLLED', `${seid} already carries the service`, false);
    return {
      ...(d.seid ? {} : { iccid: seid }),
      scp03KeyBytes: answer.scp03KeyBytes ?? 16,
      scp03SMode: answer.scp03SMode,
      maxApduDataBytes: answer.maxApduDataBytes,
    };
  }

  private async createSsd(ctx: Ctx): Promise<Partial<EnrollmentData>> {
    const d = ctx.data;
    const key = `${d.enrollmentId}:ssd-creation`;
    const reply = await ctx.request(
      SsdCreationRequested,
      { requestId: key, ...tsmAddressOf(d), ssdAid: this.config.SSD_AID, keysetRecipient: 'sp-tsm' },
      key,
    );
    const created = mnoAnswer<typeof SsdCreated>(reply);
    const plain = JSON.parse(this.keys.openSealed(created.temporaryKeyset, `ssd-keyset/${seidOfEnrollment(d)}/${this.config.SSD_AID}`).toString('utf8'));
    const temporary = new Scp03KeySet(plain.kvn, fromHex(plain.enc), fromHex(plain.mac), fromHex(plain.dek));
    await ctx.transaction((m) => this.vault.storeTemporary(m, seidOfEnrollment(d), this.config.SSD_AID, temporary));
    return { temporaryKvn: temporary.kvn };
  }

  private async handOverKeys(ctx: Ctx): Promise<void> {
    const d = ctx.data;
    const sp = await this.vault.spKeyset(seidOfEnrollment(d), this.config.SSD_AID, this.spKvn(d.temporaryKvn), d.scp03KeyBytes ?? 16);
    if (sp.status === 'active') return;
    const temporary = await ctx.transaction((m) => this.vault.load(m, seidOfEnrollment(d), this.config.SSD_AID, 'temporary'));
    if (!temporary) throw new StepFailure('TEMPORARY_KEYSET_MISSING', 'no temporary keyset to hand over from', false);
    const card = this.spCard(ctx, 'key-handover');
    try {
      await card.handOver(temporary, sp.keys);
    } catch (err) {
      // The temporary KVN is gone: an earlier attempt's PUT KEY reached the card if our keys are there now.
      if (!(err instanceof StepFailure && err.reason === TEMPORARY_KVN_GONE && (await card.holds(sp.keys)))) throw err;
    }
    await this.vault.completeHandover(seidOfEnrollment(d), this.config.SSD_AID);
  }

  /** The SP keyset's KVN: the configured one, unless the MNO chose it for the temporary keyset. */
  private spKvn(temporaryKvn?: number): number {
    const kvn = this.config.SP_KEYSET_KVN;
    if (kvn !== temporaryKvn) return kvn;
    return kvn === Kvn.SCP03_LAST ? Kvn.SCP03_FIRST : kvn + 1;
  }

  private async spKeys(ctx: Ctx): Promise<Scp03KeySet> {
    const keys = await ctx.transaction((m) => this.vault.load(m, seidOfEnrollment(ctx.data), this.config.SSD_AID, 'sp'));
    if (!keys) throw new StepFailure('SP_KEYSET_MISSING', 'no SP keyset for this SSD', false);
    return keys;
  }

  private async installApplet(ctx: Ctx): Promise<Partial<EnrollmentData>> {
    const d = ctx.data;
    const keys = await this.spKeys(ctx);
    const card = this.spCard(ctx, 'applet-install');
    const install = async (role: JpkiKeyRole, generateKeyPair: boolean) => {
      const aid = jpkiInstanceAid(role);
      return card.installApplet(keys, role, aid, await this.vault.contentKey(seidOfEnrollment(d), hex(aid)), generateKeyPair);
    };
    const template = await install('user-authentication', d.keyMode === 'on-card');
    const signing = d.signingCertificate ? await install('signing', true) : undefined;
    return {
      ...(template ? { publicKeyTemplate: template.toString('hex') } : {}),
      ...(signing ? { signing: { publicKeyTemplate: signing.toString('hex') } } : {}),
    };
  }

  /** The CSRs, signed on the card by the keys it generated: the CA's proof that each key is on this SIM. */
  private async provisionKey(ctx: Ctx): Promise<Partial<EnrollmentData>> {
    const d = ctx.data;
    const keys = await this.spKeys(ctx);
    const card = this.spCard(ctx, 'key-provisioning');
    const csrFor = async (aid: Buffer, publicKeyTemplate: string | undefined) => {
      if (!publicKeyTemplate) throw new StepFailure('SAGA_DATA_MISSING', 'no public key template at key provisioning', false);
      const spki = exportSpkiDer(publicKeyFromTemplate(Buffer.from(publicKeyTemplate, 'hex')));
      const signer = createDigestInfoSigner(spki, (digestInfo) => card.proofOfPossession(keys, aid, digestInfo));
      return (await buildCsr({ subject: [{ type: 'C', value: 'JP' }, { type: 'CN', value: d.enrollmentId }], signer })).toString('base64');
    };
    return {
      ...(d.keyMode === 'on-card' ? { csr: await csrFor(APPLET_AID, d.publicKeyTemplate) } : {}),
      ...(d.signingCertificate ? { signing: { ...d.signing, csr: await csrFor(SIGNING_AID, d.signing?.publicKeyTemplate) } } : {}),
    };
  }

  /** Both certificates of the phone are asked for at once; each request consumes the proofing for its kind. */
  private async issue(ctx: Ctx): Promise<Partial<EnrollmentData>> {
    const d = ctx.data;
    const keySource = d.keyMode === 'on-card' ? { mode: 'csr' as const, csr: known(d, 'csr') } : { mode: 'ca-generated' as const, recipient: 'sp-tsm' };
    const [issued, signing] = await Promise.all([
      this.requestCertificate(ctx, `${d.enrollmentId}:issuance`, keySource),
      d.signingCertificate ? this.requestCertificate(ctx, `${d.enrollmentId}:signing-issuance`, { mode: 'csr', csr: signingKnown(d, 'csr') }, 'signing') : undefined,
    ]);
    return {
      serial: issued.serial,
      certificate: issued.certificate,
      notAfter: issued.notAfter,
      deliveredKey: issued.deliveredKey,
      ...(signing ? { signing: { ...d.signing, serial: signing.serial, certificate: signing.certificate, notAfter: signing.notAfter } } : {}),
    };
  }

  private async requestCertificate(
    ctx: Ctx,
    key: string,
    keySource: PayloadOf<typeof CertificateIssuanceRequested>['keySource'],
    certificate?: 'signing',
  ): Promise<PayloadOf<typeof CertificateIssued>> {
    const d = ctx.data;
    const reply = await ctx.request(
      CertificateIssuanceRequested,
      {
        requestId: key,
        personId: known(d, 'personId'),
        enrollmentId: d.enrollmentId,
        device: deviceOf(d),
        proofingRequestId: proofingRequestId(d.enrollmentId),
        ...(certificate ? { certificate } : {}),
        keySource,
      },
      key,
    );
    if (reply.type === CertificateIssuanceFailed.type) {
      const failed = reply.payload as PayloadOf<typeof CertificateIssuanceFailed>;
      throw new StepFailure(failed.reason, failed.detail ?? 'the CA refused to issue', false);
    }
    return reply.payload as PayloadOf<typeof CertificateIssued>;
  }

  private async writeCertificate(ctx: Ctx): Promise<void> {
    const d = ctx.data;
    const card = this.spCard(ctx, 'certificate-write');
    const keys = await this.spKeys(ctx);
    const write = async (aid: Buffer, certificate: string, pkcs8?: Buffer) =>
      card.writeKeyAndCertificate(keys, aid, await this.vault.contentKey(seidOfEnrollment(d), hex(aid)), Buffer.from(certificate, 'base64'), pkcs8);
    let pkcs8: Buffer | undefined;
    if (d.keyMode === 'delivered') {
      if (!d.deliveredKey) throw new StepFailure('DELIVERED_KEY_MISSING', 'the CA returned no key', false);
      pkcs8 = this.keys.openSealed(d.deliveredKey, `delivered-key/${d.enrollmentId}:issuance`);
    }
    await write(APPLET_AID, known(d, 'certificate'), pkcs8);
    if (d.signingCertificate) await write(SIGNING_AID, signingKnown(d, 'certificate'));
  }

  /** The certificate was read back from the applet: the SP records the service instance as operational. */
  private async activate(ctx: Ctx): Promise<void> {
    await ctx.transaction((m) => this.recordServiceInstance(m, ctx.data));
  }

  private async deleteSsd(ctx: Ctx): Promise<void> {
    const d = ctx.data;
    const key = `${d.enrollmentId}:compensate-ssd`;
    await ctx.request(
      SsdDeletionRequested,
      { requestId: key, ...tsmAddressOf(d), ssdAid: this.config.SSD_AID, queueIfUnreachable: true },
      key,
    );
    await ctx.transaction((m) => this.vault.destroy(m, seidOfEnrollment(d), this.config.SSD_AID));
  }

  private async revokeIssued(ctx: Ctx): Promise<void> {
    const d = ctx.data;
    const issued: [string, string | undefined][] = [
      ['compensate-issuance', d.serial],
      ['compensate-signing-issuance', d.signing?.serial],
    ];
    // JPKI reads reason 0 (unspecified) as "destroyed before delivery".
    await ctx.transaction(async (m) => {
      for (const [step, serial] of issued) {
        if (!serial) continue;
        await this.outbox.publish(
          m,
          RevocationRequested,
          { requestId: `${d.enrollmentId}:${step}`, target: { by: 'serial', serial }, reason: 'unspecified', requestedBy: 'sp-tsm' },
          { correlationId: d.enrollmentId },
        );
      }
    });
  }

  private async publishTransition(m: EntityManager, t: Transition<EnrollmentData>): Promise<void> {
    const d = t.data;
    const common = { enrollmentId: d.enrollmentId, carrier: d.carrier, msisdn: d.msisdn, ...(d.iccid ? { iccid: d.iccid } : {}), ...(d.seid ? { seid: d.seid } : {}) };
    await this.outbox.publish(
      m,
      EnrollmentStateChanged,
      {
        ...common,
        state: t.toState as ServiceInstanceState,
        previousState: t.fromState as ServiceInstanceState,
        step: (t.step as EnrollmentStep | null) ?? null,
        ...(d.personId ? { personId: d.personId } : {}),
        ...(t.failure ? { reason: t.failure.reason.slice(0, 64) } : {}),
      },
      { correlationId: d.enrollmentId },
    );
    if (t.status === 'completed') await this.complete(m, d);
    if (t.status === 'failed') {
      const failure = t.failure ?? { step: t.step ?? 'identity-proofing', reason: 'UNKNOWN', detail: '' };
      await m.query(`UPDATE enrollment SET active = false WHERE id = $1`, [d.enrollmentId]);
      await this.outbox.publish(
        m,
        EnrollmentFailed,
        { ...common, step: failure.step as EnrollmentStep, reason: failure.reason.slice(0, 64), detail: failure.detail.slice(0, 1024) },
        { correlationId: d.enrollmentId },
      );
    }
  }

  private async recordServiceInstance(m: EntityManager, d: EnrollmentData): Promise<void> {
    const ssd = ssdChannel(this.config.SCP03_SECURITY_LEVEL, d);
    await this.instances.deployed(m, {
      seid: seidOfEnrollment(d),
      enrollmentId: d.enrollmentId,
      carrier: d.carrier,
      msisdn: d.msisdn,
      personId: known(d, 'personId'),
      ssdAid: this.config.SSD_AID,
      appletAid: APPLET_AID_HEX,
      serial: known(d, 'serial'),
      signingSerial: d.signing?.serial ?? null,
      keyMode: d.keyMode,
      scp03SMode: ssd.sMode,
      maxApduDataBytes: ssd.maxApduDataBytes,
    });
  }

  private async complete(m: EntityManager, d: EnrollmentData): Promise<void> {
    await m.query(`UPDATE enrollment SET active = false WHERE id = $1`, [d.enrollmentId]);
    await this.outbox.publish(
      m,
      EnrollmentCompleted,
      {
        enrollmentId: d.enrollmentId,
        personId: known(d, 'personId'),
        serial: known(d, 'serial'),
        ...(d.signing?.serial ? { signingSerial: d.signing.serial } : {}),
        carrier: d.carrier,
        ...(d.mvno ? { mvno: d.mvno } : {}),
        msisdn: d.msisdn,
        ...(d.seid ? { seid: d.seid } : { iccid: known(d, 'iccid') }),
        ssdAid: this.config.SSD_AID,
        keyMode: d.keyMode,
      },
      { correlationId: d.enrollmentId },
    );
  }
}

/** A signing-instance value an earlier step must have recorded. */
function signingKnown<K extends keyof SigningKeyData>(d: EnrollmentData, key: K): NonNullable<SigningKeyData[K]> {
  const value = d.signing?.[key];
  if (value === undefined || value === null) throw new StepFailure('SAGA_DATA_MISSING', `signing ${String(key)} is not known at this step`, false);
  return value as NonNullable<SigningKeyData[K]>;
}

/** An MNO-TSM reply, or the step failure its refusal means. */
function mnoAnswer<D extends MessageDefinition>(reply: Reply): PayloadOf<D> {
  if (reply.type === MnoOperationFailed.type) {
    const f = reply.payload as PayloadOf<typeof MnoOperationFailed>;
    throw new StepFailure(f.reason, f.detail ?? `MNO-TSM: ${f.operation} failed${f.statusWord ? ` (${f.statusWord})` : ''}`, f.reason === 'SIM_UNREACHABLE');
  }
  return reply.payload as PayloadOf<D>;
}
