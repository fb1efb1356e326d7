import { randomBytes, randomInt } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import {
  AuditCompleted,
  AuditRequested,
  EligibilityAnswered,
  EligibilityRequested,
  SsdCreationRequested,
  MVNOS,
  SsdCreated,
  SsdOperationCompleted,
  type PayloadOf,
} from '@jpki/contracts';
import {
  buildDeleteCardContent,
  buildGetData,
  buildGetStatus,
  buildInstallForInstall,
  buildInstallForPersonalization,
  buildInstallParameters,
  buildKeySetDgis,
  buildSetStatus,
  buildStoreDataCommands,
  CardScript,
  DataObject,
  DEFAULT_SCP03_I,
  fromHex,
  GetStatusScope,
  hex,
  Ins,
  isLocked,
  Kvn,
  parseExtendedCardResources,
  parseGetStatusResponse,
  Privilege,
  Privileges,
  Scp03KeySet,
  Scp03Option,
  ScriptStopped,
  SecureChannelError,
  SetStatusScope,
  Sw,
  type GpRegistryEntry,
  type ScriptPart,
  type ScriptTransport,
} from '@jpki/globalplatform';
import { createLogger } from '@jpki/observability';
import { StepFailure, type SagaData, type SagaDefinition, type StepContext, type Transition } from '@jpki/saga';
import { Clock, ServiceKeys } from '@jpki/service-kit';
import type { MnoTsmSettings } from '../config';
import { keysetFromJson, keysetJson } from '../domain/isd-keys';
import { FleetService } from '../fleet/fleet.service';
import { CardAccess, type SimRecord } from '../ota/card-access';
import { swHex, type IsdCard } from '../ota/isd-card';
import { MNO_SETTINGS } from '../tokens';
import type { OperationData, SsdOperationData } from './operation-data';
import { OperationLog } from './operation-log';
import { OtaQueue, SSD_OPERATION_SAGA } from './queue';

/** GlobalPlatform SD package and module (GPPro defaults; ROM on every card of the fleet). */
export const SD_PACKAGE = fromHex('A0000001515350');
export const SD_MODULE = fromHex('A000000151535041');
/** An SP domain: Security Domain with Authorized Management, so the SP loads and installs its own applet. */
export const SSD_PRIVILEGES = Privileges.of(Privilege.SecurityDomain, Privilege.AuthorizedManagement);
/** SCP03 with i = 70 (pseudo-random challenge, R-MAC, R-ENC, as GPPro --domain sends it), plus the S16 bit for an S16 carrier. */
function ssdInstallParametersFor(sMode: 8 | 16): Buffer {
  return buildInstallParameters({ securityDomain: { scpId: 0x03, i: DEFAULT_SCP03_I | (sMode === 16 ? Scp03Option.S16 : 0) } });
}

const LOCKED = 0x80;
const UNLOCKED = 0x00;

type Data = OperationData;
type Step = SagaDefinition<SagaData>['steps'][number];
const tempKeysetAad = (iccid: string, aid: string) => `mno-tsm/ssd-temp-keyset/${iccid}/${aid.toUpperCase()}`;

/**
 * The operation sagas. Every card interaction is an OTA round trip, so each operation is a
 * persisted saga whose steps send scripts and wait for the recorded responses; the reply to the
 * SP-TSM is published by `onTransition` in the transaction that completes (or fails) the saga.
 */
@Injectable()
export class OperationSagas {
  private readonly log = createLogger('operation-sagas');

  constructor(
    private readonly ds: DataSource,
    private readonly card: CardAccess,
    private readonly ops: OperationLog,
    private readonly queue: OtaQueue,
    private readonly fleet: FleetService,
    private readonly keys: ServiceKeys,
    private readonly clock: Clock,
    @Inject(MNO_SETTINGS) private readonly settings: MnoTsmSettings,
  ) {}

  private get ssdInstallParameters(): Buffer {
    return ssdInstallParametersFor(this.settings.profile.scp03SMode);
  }

  /** Per step attempt: enough for a few scripts with all their re-sends. */
  private get cardStepTimeoutMs(): number {
    return this.settings.otaResponseTimeoutMs * this.settings.otaMaxSends * 6 + 10_000;
  }

  definitions(): SagaDefinition<SagaData>[] {
    const onTransition = (m: EntityManager, t: Transition<SagaData>) => this.onTransition(m, t);
    const saga = (kind: string, steps: Step[]): SagaDefinition<SagaData> => ({ kind, initialState: 'requested', failedState: 'failed', steps, onTransition });
    const cardStep = (name: string, run: (ctx: StepContext<Data>) => Promise<Partial<Data> | void>, stateAfter?: string): Step => ({
      name,
      timeoutMs: this.cardStepTimeoutMs,
      maxAttempts: 6,
      stateAfter,
      run: (ctx) => (ctx.data['result'] ? Promise.resolve() : run(ctx as unknown as StepContext<Data>)),
    });
    const dbStep = (name: string, run: (ctx: StepContext<Data>) => Promise<Partial<Data> | void>, stateAfter?: string): Step => ({
      name,
      timeoutMs: 15_000,
      maxAttempts: 3,
      stateAfter,
      run: (ctx) => (ctx.data['result'] ? Promise.resolve() : run(ctx as unknown as StepContext<Data>)),
    });
    return [
      saga('eligibility', [dbStep('assess', (c) => this.assessEligibility(c), 'assessed'), cardStep('card-memory', (c) => this.cardMemory(c), 'answered')]),
      saga('ssd-creation', [
        dbStep('prepare', (c) => this.prepareSsd(c), 'initialized'),
        cardStep('create-on-card', (c) => this.createSsdOnCard(c), 'installed'),
        dbStep('hand-over', (c) => this.handOver(c), 'handed-over'),
      ]),
      saga('audit', [cardStep('audit', (c) => this.audit(c), 'audited')]),
      saga(SSD_OPERATION_SAGA, [cardStep('apply', (c) => this.applySsdOperation(c as StepContext<SsdOperationData>), 'applied')]),
    ];
  }

  // ---------------------------------------------------------------- eligibility

  private async assessEligibility(ctx: StepContext<Data>): Promise<Partial<Data>> {
    const req = ctx.data.request as PayloadOf<typeof EligibilityRequested>;
    const refuse = (reason: string, extra: Partial<PayloadOf<typeof EligibilityAnswered>> = {}) => ({
      result: { type: EligibilityAnswered.type, payload: { requestId: req.requestId, carrier: this.settings.carrier, msisdn: req.msisdn, eligible: false, reason, ...extra } },
    });
    if (req.mvno && MVNOS[req.mvno].hostCarrier !== this.settings.carrier) return refuse('MVNO_MISMATCH', { mvno: req.mvno });
    const sub = await this.fleet.latestByMsisdn(this.ds.manager, req.msisdn);
    if (!sub) return refuse('SUBSCRIBER_UNKNOWN');
    const known = { iccid: sub.iccid, ...(sub.mvno ? { mvno: sub.mvno } : {}), simGeneration: sub.generation };
    if ((sub.mvno ?? undefined) !== req.mvno) return refuse('MVNO_MISMATCH', known);
    if (sub.status !== 'active' || sub.sim_state !== 'active') return refuse('SUBSCRIBER_NOT_ACTIVE', known);
    if (!this.settings.profile.simGenerations[sub.generation]?.supportsJpkiApplet) return refuse('SIM_GENERATION_UNSUPPORTED', known);
    return { iccid: sub.iccid, request: { ...req, known } };
  }

  /** Free memory as the card reports it (GET DATA FF21, no secure channel needed), not the fleet estimate. */
  private async cardMemory(ctx: StepContext<Data>): Promise<Partial<Data>> {
    const req = ctx.data.request as PayloadOf<typeof EligibilityRequested> & { known: Record<string, string> };
    const iccid = ctx.data.iccid;
    if (!iccid) throw new StepFailure('SUBSCRIBER_UNKNOWN', 'no SIM resolved for the subscriber', false);
    const sim = await this.requireSim(iccid);
    const answer = (eligible: boolean, reason?: string, freeMemoryBytes?: number) => ({
      result: {
        type: EligibilityAnswered.type,
        payload: {
          requestId: req.requestId,
          carrier: this.settings.carrier,
          msisdn: req.msisdn,
          eligible,
          ...(reason ? { reason } : {}),
          ...req.known,
          ...(freeMemoryBytes !== undefined ? { freeMemoryBytes } : {}),
          maxApduDataBytes: this.settings.profile.maxApduDataBytes,
          scp03KeyBytes: this.settings.profile.scp03KeyBytes,
          scp03SMode: this.settings.profile.scp03SMode,
        },
      },
    });
    try {
      const free = await this.card.withCard(ctx, iccid, async () => {
        // The INITIALIZE UPDATE proves the card holds this ICCID's ISD keys and tells the counter the SSD creation predicts from.
        const isd = this.card.isdCard(this.card.scripts(ctx, iccid, 'card-memory'), sim);
        const [resources] = await isd.authenticateCard([buildGetData(DataObject.EXTENDED_CARD_RESOURCES)]);
        return parseExtendedCardResources(resources).freeNonVolatileMemory;
      });
      await this.ds.query(`UPDATE sim SET free_memory_bytes = $2, memory_checked_at = $3 WHERE iccid = $1`, [iccid, free, this.clock.now()]);
      return free < req.applet.requiredMemoryBytes ? answer(false, 'INSUFFICIENT_MEMORY', free) : answer(true, undefined, free);
    } catch (err) {
      if (err instanceof StepFailure && err.reason === 'SIM_UNREACHABLE') return answer(false, 'SIM_UNREACHABLE');
      throw err;
    }
  }

  // ---------------------------------------------------------------- SSD creation

  private async prepareSsd(ctx: StepContext<Data>): Promise<Partial<Data>> {
    const req = ctx.data.request as PayloadOf<typeof SsdCreationRequested>;
    const aid = req.ssdAid.toUpperCase();
    const sim = await this.requireSim(req.iccid);
    if (sim.state !== 'active') throw new StepFailure('SIM_NOT_ACTIVE', `SIM ${req.iccid} is ${sim.state}`, false);
    const [sub] = await this.ds.query(`SELECT status FROM subscriber WHERE iccid = $1`, [req.iccid]);
    if (sub?.status !== 'active') throw new StepFailure('SUBSCRIBER_NOT_ACTIVE', `the subscriber of ${req.iccid} is ${sub?.status ?? 'unknown'}`, false);
    try {
      this.keys.sealFor(req.keysetRecipient, Buffer.alloc(0), 'recipient-check');
    } catch {
      throw new StepFailure('KEYSET_RECIPIENT_UNKNOWN', `no transport key for ${req.keysetRecipient}`, false);
    }
    return this.ds.transaction(async (m) => {
      const [existing] = await m.query(`SELECT * FROM ssd WHERE iccid = $1 AND ssd_aid = $2 FOR UPDATE`, [req.iccid, aid]);
      if (existing && existing.request_id === req.requestId && existing.state === 'creating') return { iccid: req.iccid };
      if (existing && (existing.state === 'created' || existing.state === 'locked')) {
        throw new StepFailure(
          'SSD_ALREADY_EXISTS',
          `SSD ${aid} exists on ${req.iccid} (${existing.state}; created by request ${existing.request_id}, keyset handed over to ${existing.keyset_recipient} at ${existing.handed_over_at?.toISOString?.() ?? existing.handed_over_at})`,
          false,
        );
      }
      if (existing && existing.state === 'creating') {
        throw new StepFailure('OPERATION_IN_PROGRESS', `SSD ${aid} is being created by request ${existing.request_id}`, false);
      }
      const keyBytes = this.settings.profile.scp03KeyBytes;
      const temp = new Scp03KeySet(Kvn.SCP03_FIRST + randomInt(16), randomBytes(keyBytes), randomBytes(keyBytes), randomBytes(keyBytes));
      const kcvs = temp.kcvs();
      const sealed = this.keys.atRest.sealJson(keysetJson(temp), tempKeysetAad(req.iccid, aid));
      const now = this.clock.now();
      await m.query(
        `INSERT INTO ssd (iccid, ssd_aid, state, request_id, requested_by, privileges, install_parameters, temp_kvn, temp_kcvs, temp_keyset_sealed, keyset_recipient, created_at, updated_at)
         VALUES ($1, $2, 'creating', $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)
         ON CONFLICT (iccid, ssd_aid) DO UPDATE SET state = 'creating', request_id = $3, requested_by = $4, privileges = $5, install_parameters = $6,
           temp_kvn = $7, temp_kcvs = $8, temp_keyset_sealed = $9, keyset_recipient = $10, handed_over_at = NULL, created_at = $11, updated_at = $11`,
        [req.iccid, aid, req.requestId, ctx.data.requestedBy, hex(SSD_PRIVILEGES.toBytes()), hex(this.ssdInstallParameters), temp.kvn,
          { enc: hex(kcvs.enc), mac: hex(kcvs.mac), dek: hex(kcvs.dek) }, sealed, req.keysetRecipient, now],
      );
      return { iccid: req.iccid };
    });
  }

  private async temporaryKeys(iccid: string, aid: string): Promise<Scp03KeySet> {
    const [row] = await this.ds.query(`SELECT temp_keyset_sealed FROM ssd WHERE iccid = $1 AND ssd_aid = $2`, [iccid, aid]);
    if (!row?.temp_keyset_sealed) throw new StepFailure('TEMPORARY_KEYSET_GONE', `no temporary keyset for ${aid} on ${iccid}`, false);
    return keysetFromJson(this.keys.atRest.openJson(row.temp_keyset_sealed, tempKeysetAad(iccid, aid)));
  }

  /**
   * One script: SELECT ISD, INITIALIZE UPDATE, EXTERNAL AUTHENTICATE, INSTALL [install and make selectable] of the SSD,
   * INSTALL [for personalization] and STORE DATA (DGI 00B9/8113, the temporary keys encrypted under the ISD's DEK). If
   * the card says the AID exists (a previous attempt whose responses were lost), the temporary keyset is checked with
   * INITIALIZE UPDATE on the SSD: ours → carry on; anything else → SSD_ALREADY_EXISTS.
   */
  private async createSsdOnCard(ctx: StepContext<Data>): Promise<void> {
    const req = ctx.data.request as PayloadOf<typeof SsdCreationRequested>;
    const aid = req.ssdAid.toUpperCase();
    const sim = await this.requireSim(req.iccid);
    const temp = await this.temporaryKeys(req.iccid, aid);
    await this.card.withCard(ctx, req.iccid, async () => {
      const scripts = this.card.scripts(ctx, req.iccid, 'create-on-card');
      const ssdAid = fromHex(aid);
      const install = buildInstallForInstall(
        { loadFileAid: SD_PACKAGE, moduleAid: SD_MODULE, applicationAid: ssdAid, privileges: SSD_PRIVILEGES, installParameters: this.ssdInstallParameters },
        true,
      );
      const dek = this.card.isdKeys.forCard(req.iccid, sim.isd_kvn).dek;
      const store = buildStoreDataCommands(buildKeySetDgis(temp, dek), { structure: 'dgi', encryption: 'application-dependent' }, this.card.secureBlockSize);
      await this.card.isdCard(scripts, sim).run(
        (_script, session) => session([install, buildInstallForPersonalization(ssdAid), ...store]),
        async ({ command, sw }) => {
          const atInstall = command.ins === install.ins && command.p1 === install.p1;
          if (atInstall && sw === Sw.NOT_ENOUGH_MEMORY) throw new StepFailure('INSUFFICIENT_MEMORY', `[SW ${swHex(sw)}] INSTALL of SSD ${aid}`, false);
          if (!atInstall || (sw !== Sw.WRONG_DATA && sw !== Sw.CONDITIONS_OF_USE_NOT_SATISFIED)) return undefined;
          const ours = await this.temporaryKeysetInstalled(scripts, ssdAid, temp);
          if (ours === 'other') throw new StepFailure('SSD_ALREADY_EXISTS', `SSD ${aid} already exists on ${req.iccid} and does not hold this request's keyset`, false);
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
  private async handOver(ctx: StepContext<Data>): Promise<Partial<Data>> {
    const req = ctx.data.request as PayloadOf<typeof SsdCreationRequested>;
    const aid = req.ssdAid.toUpperCase();
    return this.ds.transaction(async (m) => {
      const [row] = await m.query(`SELECT * FROM ssd WHERE iccid = $1 AND ssd_aid = $2 FOR UPDATE`, [req.iccid, aid]);
      if (row?.handed_over_at && row.request_id === req.requestId) {
        // A re-run after the handover committed: the sealed box went into the operation record with it.
        const done = await this.ops.find(m, req.requestId, 'ssd-creation');
        if (done?.result) return { result: done.result };
      }
      const temp = await this.temporaryKeys(req.iccid, aid);
      const temporaryKeyset = this.keys.sealFor(req.keysetRecipient, Buffer.from(JSON.stringify(keysetJson(temp)), 'utf8'), `ssd-keyset/${req.iccid}/${req.ssdAid}`);
      const result = {
        type: SsdCreated.type,
        payload: { requestId: req.requestId, carrier: this.settings.carrier, iccid: req.iccid, ssdAid: req.ssdAid, kvn: temp.kvn, temporaryKeyset },
      };
      await m.query(
        `UPDATE ssd SET state = 'created', temp_keyset_sealed = NULL, keyset_recipient = $3, handed_over_at = $4, updated_at = $4 WHERE iccid = $1 AND ssd_aid = $2`,
        [req.iccid, aid, req.keysetRecipient, this.clock.now()],
      );
      await m.query(`UPDATE tsm_operation SET result = $3 WHERE request_id = $1 AND kind = $2`, [req.requestId, 'ssd-creation', result]);
      this.log.info({ iccid: req.iccid, ssdAid: aid, recipient: req.keysetRecipient, kvn: temp.kvn }, 'temporary keyset handed over');
      return { result };
    });
  }

  // ---------------------------------------------------------------- audit

  private async audit(ctx: StepContext<Data>): Promise<Partial<Data>> {
    const req = ctx.data.request as PayloadOf<typeof AuditRequested>;
    const sim = await this.requireSim(req.iccid);
    const { free, entries } = await this.card.withCard(ctx, req.iccid, async () => {
      const isd = this.card.isdCard(this.card.scripts(ctx, req.iccid, 'audit'), sim);
      const [resources] = await isd.authenticateCard([buildGetData(DataObject.EXTENDED_CARD_RESOURCES)]);
      const found: GpRegistryEntry[] = [];
      for (const scope of [GetStatusScope.ISSUER_SECURITY_DOMAIN, GetStatusScope.LOAD_FILES, GetStatusScope.APPLICATIONS]) {
        found.push(...(await this.registry(isd, scope)));
      }
      return { free: parseExtendedCardResources(resources).freeNonVolatileMemory, entries: found };
    });
    await this.ds.query(`UPDATE sim SET free_memory_bytes = $2, memory_checked_at = $3 WHERE iccid = $1`, [req.iccid, free, this.clock.now()]);
    const kinds = { ISD: 'isd', SSD: 'ssd', APP: 'application', ELF: 'load-file' } as const;
    const payload: PayloadOf<typeof AuditCompleted> = {
      requestId: req.requestId,
      carrier: this.settings.carrier,
      iccid: req.iccid,
      freeMemoryBytes: free,
      entries: entries.map((e) => ({ aid: hex(e.aid), kind: kinds[e.kind], lifecycle: e.lifeCycle, privileges: e.privileges ? hex(e.privileges.toBytes()) : '' })),
    };
    return { result: { type: AuditCompleted.type, payload } };
  }

  /**
   * GET STATUS of one scope through an ISD session. A 6310 (more data) page asks for a longer script: the first
   * occurrence and as many "next occurrence" commands as pages seen so far plus one. 6A88 = none.
   */
  private async registry(isd: IsdCard, scope: number): Promise<GpRegistryEntry[]> {
    const NONE: ScriptPart = { data: [], sws: [] };
    for (let pages = 1; ; pages++) {
      const commands = Array.from({ length: pages }, (_, i) => buildGetStatus(scope, { next: i > 0 }));
      const part = await isd.run<ScriptPart>(
        (_script, session) => session(commands),
        async ({ command, sw }) => (sw === Sw.REFERENCED_DATA_NOT_FOUND && command.p2 === commands[0].p2 ? NONE : undefined),
      );
      const [first, ...rest] = part.data;
      if (!first) return [];
      if (part.sws[part.sws.length - 1] !== Sw.MORE_DATA_AVAILABLE) return [first, ...rest].flatMap((data) => parseGetStatusResponse(data, scope));
    }
  }

  // ---------------------------------------------------------------- lock / unlock / delete

  /** SET STATUS P1=60 (the SSD and its applications) or DELETE P2=80 (with related objects) through the ISD. */
  private async applySsdOperation(ctx: StepContext<SsdOperationData>): Promise<Partial<SsdOperationData>> {
    const d = ctx.data;
    const sim = await this.requireSim(d.iccid);
    const aid = fromHex(d.ssdAid);
    const command =
      d.operation === 'delete' ? buildDeleteCardContent(aid, true) : buildSetStatus(SetStatusScope.DOMAIN_AND_APPLICATIONS, d.operation === 'lock' ? LOCKED : UNLOCKED, aid);
    const completed = (outcome: 'done' | 'queued' | 'not-present') => this.ssdCompleted(d, outcome);
    try {
      const outcome = await this.card.withCard(ctx, d.iccid, () => {
        const isd = this.card.isdCard(this.card.scripts(ctx, d.iccid, 'apply'), sim);
        return isd.run(
          (_script, session): 'done' | 'not-present' => (session([command]), 'done'),
          async ({ command: refused, sw }) => {
            if (sw === Sw.REFERENCED_DATA_NOT_FOUND || sw === Sw.FILE_NOT_FOUND) return 'not-present';
            // 6A80 "already in the requested state": an earlier attempt's SET STATUS reached the card, its answer did not.
            if (refused.ins === Ins.SET_STATUS && sw === Sw.WRONG_DATA && (await this.ssdLocked(isd, aid)) === (d.operation === 'lock')) return 'done';
            return undefined;
          },
        );
      });
      return { result: completed(outcome) };
    } catch (err) {
      if (err instanceof StepFailure && err.reason === 'SIM_UNREACHABLE' && d.queueIfUnreachable) return { requeue: true, result: completed('queued') };
      throw err;
    }
  }

  /** The SSD's lock state as the card's registry reports it (GET STATUS by AID through an ISD session). */
  private async ssdLocked(isd: IsdCard, aid: Buffer): Promise<boolean> {
    const part = await isd.run((_script, session) => session([buildGetStatus(GetStatusScope.APPLICATIONS, { aidPrefix: aid })]));
    const entry = parseGetStatusResponse(part.data[0], GetStatusScope.APPLICATIONS).find((e) => e.aid.equals(aid));
    return entry !== undefined && isLocked(entry.lifeCycle);
  }

  private ssdCompleted(d: SsdOperationData, outcome: 'done' | 'queued' | 'not-present'): { type: string; payload: Record<string, unknown> } {
    return {
      type: SsdOperationCompleted.type,
      payload: { requestId: d.requestId, carrier: this.settings.carrier, iccid: d.iccid, ssdAid: d.ssdAid, operation: d.operation, outcome },
    };
  }

  // ---------------------------------------------------------------- replies

  private async onTransition(m: EntityManager, t: Transition<SagaData>): Promise<void> {
    if (t.status === 'running') return;
    const d = t.data as Data;
    if (t.kind === SSD_OPERATION_SAGA) return this.onSsdOperationEnd(m, t);
    if (t.status === 'completed' && d.result) return this.ops.reply(m, d, d.result);
    const failure = this.ops.failure(d, t.failure?.reason ?? 'FAILED', t.failure?.detail);
    if (t.kind === 'ssd-creation') {
      const req = d.request as { iccid: string; ssdAid: string };
      await m.query(
        `UPDATE ssd SET state = 'failed', temp_keyset_sealed = NULL, updated_at = $4 WHERE iccid = $1 AND ssd_aid = $2 AND request_id = $3 AND state = 'creating'`,
        [req.iccid, req.ssdAid.toUpperCase(), d.requestId, this.clock.now()],
      );
    }
    await this.ops.reply(m, d, failure);
  }

  private async onSsdOperationEnd(m: EntityManager, t: Transition<SagaData>): Promise<void> {
    const d = t.data as SsdOperationData;
    if (t.status === 'completed' && d.requeue) {
      // The card is unreachable: this and every other pending operation of it wait (or fail) now.
      await this.queue.finish(m, d.queueId, 'pending');
      if (!d.queuedNotified) await this.ops.reply(m, d, d.result ?? this.ssdCompleted(d, 'queued'), 'queued');
      for (const other of await this.queue.pending(m, d.iccid)) {
        if (other.queueId === d.queueId || other.queuedNotified) continue;
        if (other.queueIfUnreachable) {
          await this.queue.finish(m, other.queueId, 'pending');
          await this.ops.reply(m, other, this.ssdCompleted(other, 'queued'), 'queued');
        } else {
          await this.queue.finish(m, other.queueId, 'failed');
          await this.ops.reply(m, other, this.ops.failure(other, 'SIM_UNREACHABLE', `SIM ${other.iccid} is not reachable over the air`));
        }
      }
      return; // the queue waits for ota.sim.reachable
    }
    if (t.status === 'completed' && d.result) {
      await this.queue.finish(m, d.queueId, 'done');
      const outcome = d.result.payload['outcome'];
      const state = d.operation === 'delete' || outcome === 'not-present' ? 'deleted' : d.operation === 'lock' ? 'locked' : 'created';
      await m.query(`UPDATE ssd SET state = $3, temp_keyset_sealed = CASE WHEN $3 = 'deleted' THEN NULL ELSE temp_keyset_sealed END, updated_at = $4 WHERE iccid = $1 AND ssd_aid = $2`, [
        d.iccid,
        d.ssdAid.toUpperCase(),
        state,
        this.clock.now(),
      ]);
      await this.ops.reply(m, d, d.result);
    } else {
      await this.queue.finish(m, d.queueId, 'failed');
      await this.ops.reply(m, d, this.ops.failure(d, t.failure?.reason ?? 'FAILED', t.failure?.detail));
    }
    await this.queue.drain(m, d.iccid);
  }

  private async requireSim(iccid: string): Promise<SimRecord> {
    const sim = await this.card.sim(iccid);
    if (!sim) throw new StepFailure('SIM_UNKNOWN', `no SIM ${iccid} in the ${this.settings.carrier} fleet`, false);
    return sim;
  }
}
