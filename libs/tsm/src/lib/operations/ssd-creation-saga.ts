import { randomBytes, randomInt } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import {
  buildInstallForInstall,
  buildInstallForPersonalization,
  buildInstallParameters,
  buildKeySetDgis,
  buildStoreDataCommands,
  CardScript,
  DEFAULT_SCP03_I,
  fromHex,
  Ins,
  Kvn,
  Privilege,
  Privileges,
  Scp03KeySet,
  Scp03Option,
  ScriptStopped,
  SecureChannelError,
  Sw,
  type ScriptTransport,
} from '@jpki/globalplatform';
import { createLogger } from '@jpki/observability';
import { StepFailure, type SagaData, type SagaDefinition, type StepContext, type Transition } from '@jpki/saga';
import { ServiceKeys } from '@jpki/service-kit';
import { keysetJson } from '../domain/isd-keys';
import { CardAccess } from '../ota/card-access';
import { swHex } from '../ota/isd-card';
import { SecureElementStore } from '../ports/secure-element-store';
import { TSM_SETTINGS, type TsmSettings } from '../ports/tsm-settings';
import { TsmWire } from '../tsm-wire';
import type { CardOperationData, SsdCreationRequest } from './operation-data';
import { OperationLog } from './operation-log';
import { OperationSteps } from './operation-steps';
import { SsdRecords } from './ssd-records';

/** GlobalPlatform SD package and module (GPPro defaults; ROM on every card of the fleet). */
export const SD_PACKAGE = fromHex('A0000001515350');
export const SD_MODULE = fromHex('A000000151535041');
/** An SP domain: Security Domain with Authorized Management, so the SP loads and installs its own applet. */
export const SSD_PRIVILEGES = Privileges.of(Privilege.SecurityDomain, Privilege.AuthorizedManagement);

type Ctx = StepContext<CardOperationData>;
type Request = SsdCreationRequest;

/**
 * SSD creation: prepare (a temporary keyset, sealed at rest) → create-on-card (one ISD script) → hand-over (the keyset
 * sealed to the requester, the TSM keeps only its KCVs). A creation that fails for good forgets its keys.
 */
@Injectable()
export class SsdCreationSaga {
  readonly definition: SagaDefinition<SagaData>;
  private readonly log = createLogger('ssd-creation');

  constructor(
    private readonly ds: DataSource,
    private readonly card: CardAccess,
    private readonly ops: OperationLog,
    private readonly ssds: SsdRecords,
    private readonly keys: ServiceKeys,
    @Inject(TSM_SETTINGS) private readonly settings: TsmSettings,
    private readonly steps: OperationSteps,
    private readonly sims: SecureElementStore,
    private readonly wire: TsmWire,
  ) {
    this.definition = steps.saga(
      'ssd-creation',
      [
        steps.local('prepare', (c: Ctx) => this.prepare(c), 'initialized'),
        steps.card('create-on-card', (c: Ctx) => this.createOnCard(c), 'installed'),
        steps.local('hand-over', (c: Ctx) => this.handOver(c), 'handed-over'),
      ],
      (m, t) => this.onTransition(m, t),
    );
  }

  /** SCP03 with i = 70 (pseudo-random challenge, R-MAC, R-ENC, as GPPro --domain sends it), plus the S16 bit for an S16 carrier. */
  private get installParameters(): Buffer {
    const sMode = this.settings.profile.scp03SMode;
    return buildInstallParameters({ securityDomain: { scpId: 0x03, i: DEFAULT_SCP03_I | (sMode === 16 ? Scp03Option.S16 : 0) } });
  }

  private async prepare(ctx: Ctx): Promise<Partial<CardOperationData>> {
    const req = ctx.data.request as Request;
    const seid = ctx.data.iccid;
    const sim = await this.steps.requireSim(seid);
    if (sim.state !== 'active') throw new StepFailure('SIM_NOT_ACTIVE', `SIM ${seid} is ${sim.state}`, false);
    const holder = await this.sims.holderStatus(seid);
    if (holder !== 'active') throw new StepFailure('SUBSCRIBER_NOT_ACTIVE', `the subscriber of ${seid} is ${holder ?? 'unknown'}`, false);
    try {
      this.keys.sealFor(req.keysetRecipient, Buffer.alloc(0), 'recipient-check');
    } catch {
      throw new StepFailure('KEYSET_RECIPIENT_UNKNOWN', `no transport key for ${req.keysetRecipient}`, false);
    }
    return this.ds.transaction(async (m) => {
      const existing = await this.ssds.lock(m, seid, req.ssdAid);
      if (existing && existing.request_id === req.requestId && existing.state === 'creating') return {};
      if (existing && (existing.state === 'created' || existing.state === 'locked')) {
        const handedOver = existing.handed_over_at instanceof Date ? existing.handed_over_at.toISOString() : existing.handed_over_at;
        throw new StepFailure(
          'SSD_ALREADY_EXISTS',
          `SSD ${existing.ssd_aid} exists on ${seid} (${existing.state}; created by request ${existing.request_id}, keyset handed over to ${existing.keyset_recipient} at ${handedOver})`,
          false,
        );
      }
      if (existing && existing.state === 'creating') {
        throw new StepFailure('OPERATION_IN_PROGRESS', `SSD ${existing.ssd_aid} is being created by request ${existing.request_id}`, false);
      }
      const keyBytes = this.settings.profile.scp03KeyBytes;
      const temporaryKeys = new Scp03KeySet(Kvn.SCP03_FIRST + randomInt(16), randomBytes(keyBytes), randomBytes(keyBytes), randomBytes(keyBytes));
      await this.ssds.startCreation(m, {
        iccid: seid,
        ssdAid: req.ssdAid,
        requestId: req.requestId,
        requestedBy: ctx.data.requestedBy,
        privileges: SSD_PRIVILEGES.toBytes(),
        installParameters: this.installParameters,
        temporaryKeys,
        keysetRecipient: req.keysetRecipient,
      });
      return {};
    });
  }

  /**
   * One script: SELECT ISD, INITIALIZE UPDATE, EXTERNAL AUTHENTICATE, INSTALL [install and make selectable] of the SSD,
   * INSTALL [for personalization] and STORE DATA (DGI 00B9/8113, the temporary keys encrypted under the ISD's DEK). If
   * the card says the AID exists (a previous attempt whose responses were lost), the temporary keyset is checked with
   * INITIALIZE UPDATE on the SSD: ours → carry on; anything else → SSD_ALREADY_EXISTS.
   */
  private async createOnCard(ctx: Ctx): Promise<void> {
    const req = ctx.data.request as Request;
    const seid = ctx.data.iccid;
    const aid = req.ssdAid.toUpperCase();
    const sim = await this.steps.requireSim(seid);
    const temp = await this.ssds.temporaryKeys(seid, aid);
    await this.card.withCard(ctx, seid, async () => {
      const scripts = this.card.scripts(ctx, seid, 'create-on-card');
      const ssdAid = fromHex(aid);
      const install = buildInstallForInstall(
        { loadFileAid: SD_PACKAGE, moduleAid: SD_MODULE, applicationAid: ssdAid, privileges: SSD_PRIVILEGES, installParameters: this.installParameters },
        true,
      );
      const dek = this.card.isdKeys.forCard(seid, sim.isd_kvn).dek;
      const store = buildStoreDataCommands(buildKeySetDgis(temp, dek), { structure: 'dgi', encryption: 'application-dependent' }, this.card.secureBlockSize);
      await this.card.isdCard(scripts, seid, sim).run(
        (_script, session) => session([install, buildInstallForPersonalization(ssdAid), ...store]),
        async ({ command, sw }) => {
          const atInstall = command.ins === install.ins && command.p1 === install.p1;
          if (atInstall && sw === Sw.NOT_ENOUGH_MEMORY) throw new StepFailure('INSUFFICIENT_MEMORY', `[SW ${swHex(sw)}] INSTALL of SSD ${aid}`, false);
          if (!atInstall || (sw !== Sw.WRONG_DATA && sw !== Sw.CONDITIONS_OF_USE_NOT_SATISFIED)) return undefined;
          const ours = await this.temporaryKeysetInstalled(scripts, ssdAid, temp);
          if (ours === 'other') throw new StepFailure('SSD_ALREADY_EXISTS', `SSD ${aid} already exists on ${seid} and does not hold this request's keyset`, false);
          return ours === 'ours' ? { data: [], sws: [] } : undefined;
        },
      );
    });
  }

  /** SELECT the SSD and INITIALIZE UPDATE with the temporary KVN: does the card answer with our keys? */
  private async temporaryKeysetInstalled(scripts: ScriptTransport, ssdAid: Buffer, temp: Scp03KeySet): Promise<'ours' | 'other' | 'absent'> {
    const script = new CardScript();
    script.select(ssdAid);
    script.initializeUpdate(ssdAid, temp, { sMode: this.settings.profile.scp03SMode });
    try {
      await script.run(scripts);
      return 'ours';
    } catch (err) {
      if (err instanceof ScriptStopped && err.command.ins === Ins.SELECT) return 'absent';
      if (err instanceof SecureChannelError || err instanceof ScriptStopped) return 'other';
      throw err;
    }
  }

  /** Seals the temporary keyset to the requester, records the handover (who, when, KCVs) and forgets the keys. */
  private async handOver(ctx: Ctx): Promise<Partial<CardOperationData>> {
    const req = ctx.data.request as Request;
    const seid = ctx.data.iccid;
    return this.ds.transaction(async (m) => {
      const row = await this.ssds.lock(m, seid, req.ssdAid);
      if (row?.handed_over_at && row.request_id === req.requestId) {
        // A re-run after the handover committed: the sealed box went into the operation record with it.
        const done = await this.ops.find(m, req.requestId, 'ssd-creation');
        if (done?.result) return { result: done.result };
      }
      const temp = await this.ssds.temporaryKeys(seid, req.ssdAid);
      const temporaryKeyset = this.keys.sealFor(req.keysetRecipient, Buffer.from(JSON.stringify(keysetJson(temp)), 'utf8'), `ssd-keyset/${seid}/${req.ssdAid}`);
      const result = this.wire.ssdCreated({ requestId: req.requestId, seid, ssdAid: req.ssdAid, kvn: temp.kvn, temporaryKeyset });
      await this.ssds.handedOver(m, seid, req.ssdAid, req.keysetRecipient);
      await this.ops.keepResult(m, { requestId: req.requestId, kind: 'ssd-creation' }, result);
      this.log.info({ seid, ssdAid: req.ssdAid.toUpperCase(), recipient: req.keysetRecipient, kvn: temp.kvn }, 'temporary keyset handed over');
      return { result };
    });
  }

  private async onTransition(m: EntityManager, t: Transition<SagaData>): Promise<void> {
    if (t.status === 'running') return;
    const d = t.data as CardOperationData;
    if (!(t.status === 'completed' && d.result)) {
      const req = d.request as Request;
      await this.ssds.creationFailed(m, d.iccid, req.ssdAid, d.requestId);
    }
    await this.steps.reply(m, t);
  }
}
