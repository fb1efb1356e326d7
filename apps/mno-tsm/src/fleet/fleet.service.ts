import { randomInt, randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { z } from 'zod/v4';
import {
  ContractEnded,
  HandsetChanged,
  MsisdnChanged,
  SimManufactureRequested,
  type MvnoId,
} from '@jpki/contracts';
import { Outbox } from '@jpki/messaging';
import { Clock, conflict, notFound, OperatorAudit, ServiceKeys, unprocessable, type OperatorPrincipal } from '@jpki/service-kit';
import { IsdKeyDerivation, SsdRecords } from '@jpki/tsm';
import type { MnoTsmSettings } from '../config';
import { iccidFor } from '../domain/iccid';
import { MNO_SETTINGS } from '../tokens';
import type { createSubscriberSchema, OtaBacklog, SubscriberView } from './schemas';
import { SimStore } from './sim-store';

interface SubscriberRow {
  id: string;
  msisdn: string;
  iccid: string;
  mvno: MvnoId | null;
  status: SubscriberView['status'];
  imei: string | null;
  created_at: Date;
  updated_at: Date;
  generation: string;
  sim_state: string;
  pending_iccid: string | null;
}

const SUBSCRIBER_SELECT = `
  SELECT s.*, m.generation, m.state AS sim_state,
         (SELECT n.iccid FROM sim n WHERE n.replaces_iccid = s.iccid AND n.state = 'manufacturing' LIMIT 1) AS pending_iccid
    FROM subscriber s JOIN sim m ON m.iccid = s.iccid`;

/**
 * The carrier's subscribers and SIM fleet. Every operator action runs in one transaction with
 * its audit record and the messages it publishes; refusals are audited too.
 */
@Injectable()
export class FleetService {
  readonly isdKeys: IsdKeyDerivation;

  constructor(
    private readonly ds: DataSource,
    private readonly outbox: Outbox,
    private readonly clock: Clock,
    private readonly keys: ServiceKeys,
    @Inject(MNO_SETTINGS) private readonly settings: MnoTsmSettings,
    private readonly ssds: SsdRecords,
    private readonly sims: SimStore,
    private readonly operatorAudit: OperatorAudit,
  ) {
    this.isdKeys = new IsdKeyDerivation(settings.isdMasterKey, settings.isdKvn);
  }

  // ---------- operator actions ----------

  createSubscriber(op: OperatorPrincipal, body: z.infer<typeof createSubscriberSchema>): Promise<SubscriberView> {
    return this.operatorAudit.audited(op, 'subscriber.create', body.msisdn ?? null, async (m) => {
      if (body.mvno && !this.settings.profile.mvnos.includes(body.mvno)) {
        throw unprocessable('MVNO_NOT_HOSTED', `${body.mvno} is not hosted by ${this.settings.carrier}`);
      }
      const msisdn = body.msisdn ?? (await this.freeMsisdn(m));
      if (await this.liveSubscriber(m, msisdn)) throw conflict('MSISDN_IN_USE', `${msisdn} belongs to a live subscriber`);
      const now = this.clock.now();
      const iccid = await this.newSim(m, body.generation, null);
      const id = randomUUID();
      await m.query(
        `INSERT INTO subscriber (id, msisdn, iccid, mvno, status, imei, created_at, updated_at) VALUES ($1, $2, $3, $4, 'provisioning', $5, $6, $6)`,
        [id, msisdn, iccid, body.mvno ?? null, body.imei ?? null, now],
      );
      await m.query(`INSERT INTO sim_assignment (subscriber_id, iccid, assigned_at) VALUES ($1, $2, $3)`, [id, iccid, now]);
      return { result: await this.view(m, id), target: msisdn, details: { iccid, mvno: body.mvno ?? null } };
    });
  }

  simSwap(op: OperatorPrincipal, msisdn: string, generation?: string): Promise<SubscriberView> {
    return this.operatorAudit.audited(op, 'subscriber.sim-swap', msisdn, async (m) => {
      const sub = await this.requireLive(m, msisdn);
      if (sub.pending_iccid) throw conflict('SIM_SWAP_IN_PROGRESS', `SIM ${sub.pending_iccid} is being manufactured for ${msisdn}`);
      if (sub.status === 'provisioning') throw conflict('SUBSCRIBER_PROVISIONING', 'the first SIM is not manufactured yet');
      const newIccid = await this.newSim(m, generation ?? sub.generation, sub.iccid);
      // The swap completes (and is notified) when the new SIM reports manufactured.
      return { result: await this.view(m, sub.id), details: { oldIccid: sub.iccid, newIccid } };
    });
  }

  changeMsisdn(op: OperatorPrincipal, msisdn: string, requested?: string): Promise<SubscriberView> {
    return this.operatorAudit.audited(op, 'subscriber.msisdn-change', msisdn, async (m) => {
      const sub = await this.requireLive(m, msisdn);
      const newMsisdn = requested ?? (await this.freeMsisdn(m));
      if (newMsisdn === msisdn) throw unprocessable('MSISDN_UNCHANGED', 'the new MSISDN is the current one');
      if (await this.liveSubscriber(m, newMsisdn)) throw conflict('MSISDN_IN_USE', `${newMsisdn} belongs to a live subscriber`);
      const at = this.clock.now();
      await m.query(`UPDATE subscriber SET msisdn = $2, updated_at = $3 WHERE id = $1`, [sub.id, newMsisdn, at]);
      await this.outbox.publish(m, MsisdnChanged, { carrier: this.settings.carrier, iccid: sub.iccid, msisdn: newMsisdn, oldMsisdn: msisdn, at: at.toISOString() });
      return { result: await this.view(m, sub.id), details: { newMsisdn } };
    });
  }

  changeHandset(op: OperatorPrincipal, msisdn: string, imei: string): Promise<SubscriberView> {
    return this.operatorAudit.audited(op, 'subscriber.handset-change', msisdn, async (m) => {
      const sub = await this.requireLive(m, msisdn);
      if (sub.imei === imei) throw unprocessable('IMEI_UNCHANGED', 'the subscriber already uses this handset');
      const at = this.clock.now();
      await m.query(`UPDATE subscriber SET imei = $2, updated_at = $3 WHERE id = $1`, [sub.id, imei, at]);
      await this.outbox.publish(m, HandsetChanged, { carrier: this.settings.carrier, msisdn, iccid: sub.iccid, imei, at: at.toISOString() });
      return { result: await this.view(m, sub.id), details: { oldImei: sub.imei, imei } };
    });
  }

  endContract(op: OperatorPrincipal, msisdn: string, note?: string): Promise<SubscriberView> {
    return this.operatorAudit.audited(op, 'subscriber.contract-end', msisdn, async (m) => {
      const sub = await this.requireLive(m, msisdn);
      const at = this.clock.now();
      await m.query(`UPDATE subscriber SET status = 'cancelled', cancelled_at = $2, updated_at = $2 WHERE id = $1`, [sub.id, at]);
      await this.sims.deactivate(m, sub.iccid, at);
      await m.query(`UPDATE sim_assignment SET ended_at = $2 WHERE subscriber_id = $1 AND ended_at IS NULL`, [sub.id, at]);
      await this.outbox.publish(m, ContractEnded, {
        carrier: this.settings.carrier,
        msisdn,
        iccid: sub.iccid,
        ...(sub.mvno ? { mvno: sub.mvno } : {}),
        at: at.toISOString(),
      });
      return { result: await this.view(m, sub.id), details: { iccid: sub.iccid, note: note ?? null } };
    });
  }

  setSuspended(op: OperatorPrincipal, msisdn: string, suspend: boolean, note?: string): Promise<SubscriberView> {
    return this.operatorAudit.audited(op, suspend ? 'subscriber.suspend' : 'subscriber.resume', msisdn, async (m) => {
      const sub = await this.requireLive(m, msisdn);
      const [from, to] = suspend ? ['active', 'suspended'] : ['suspended', 'active'];
      if (sub.status !== from) throw conflict('SUBSCRIBER_STATE', `subscriber is ${sub.status}, not ${from}`);
      await m.query(`UPDATE subscriber SET status = $2, updated_at = $3 WHERE id = $1 AND status = $4`, [sub.id, to, this.clock.now(), from]);
      return { result: await this.view(m, sub.id), details: { note: note ?? null } };
    });
  }

  // ---------- reads ----------

  /** Card operations not done yet, per state and operation, with the oldest one's age (the OTA queue and SP scripts in flight). */
  async otaBacklog(): Promise<OtaBacklog> {
    const rows: { state: OtaBacklog['states'][number]['state']; operation: OtaBacklog['states'][number]['operation']; count: number; oldest: Date }[] = await this.ds.query(
      `SELECT CASE WHEN state = 'pending' AND queued_notified THEN 'waiting-for-phone' ELSE state END AS state, operation, count(*)::int AS count, min(created_at) AS oldest
         FROM ota_queue WHERE state IN ('pending', 'running') GROUP BY 1, 2
       UNION ALL
       SELECT 'forwarding', 'script', count(*)::int, min(created_at) FROM ota_forward WHERE completed_at IS NULL HAVING count(*) > 0
       ORDER BY 1, 2`,
    );
    const now = this.clock.now();
    return {
      carrier: this.settings.carrier,
      at: now.toISOString(),
      states: rows.map((r) => ({
        state: r.state,
        operation: r.operation,
        count: r.count,
        oldestAt: r.oldest.toISOString(),
        oldestAgeSeconds: Math.max(0, Math.floor((now.getTime() - r.oldest.getTime()) / 1000)),
      })),
    };
  }

  async find(msisdn: string): Promise<SubscriberView> {
    const row = await this.latestByMsisdn(this.ds.manager, msisdn);
    if (!row) throw notFound('SUBSCRIBER_UNKNOWN', `no subscriber ${msisdn} on ${this.settings.carrier}`);
    return toView(row);
  }

  async list(q: { status?: string; mvno?: string; limit: number }): Promise<SubscriberView[]> {
    const rows: SubscriberRow[] = await this.ds.query(
      `${SUBSCRIBER_SELECT} WHERE ($1::text IS NULL OR s.status = $1) AND ($2::text IS NULL OR s.mvno = $2) ORDER BY s.created_at DESC LIMIT $3`,
      [q.status ?? null, q.mvno ?? null, q.limit],
    );
    return rows.map(toView);
  }

  async sim(iccid: string): Promise<Record<string, unknown>> {
    const sim = await this.sims.find(iccid);
    if (!sim) throw notFound('SIM_UNKNOWN', `no SIM ${iccid} in the ${this.settings.carrier} fleet`);
    const ssds = await this.ssds.ofSim(iccid);
    const queue = await this.ds.query(`SELECT request_id, operation, ssd_aid, state FROM ota_queue WHERE iccid = $1 ORDER BY id`, [iccid]);
    return {
      iccid: sim.iccid,
      generation: sim.generation,
      state: sim.state,
      isdAid: sim.isd_aid,
      isdKvn: sim.isd_kvn,
      memoryQuotaBytes: sim.memory_quota_bytes,
      freeMemoryBytes: sim.free_memory_bytes,
      replacesIccid: sim.replaces_iccid,
      ssds: ssds.map((s: Record<string, unknown>) => ({
        ssdAid: s['ssd_aid'],
        state: s['state'],
        requestId: s['request_id'],
        requestedBy: s['requested_by'],
        temporaryKvn: s['temp_kvn'],
        temporaryKcvs: s['temp_kcvs'],
        keysetRecipient: s['keyset_recipient'],
        handedOverAt: (s['handed_over_at'] as Date | null)?.toISOString() ?? null,
        keysStoredByMno: s['temp_keyset_sealed'] !== null,
      })),
      queuedOperations: queue.map((q: Record<string, unknown>) => ({ requestId: q['request_id'], operation: q['operation'], ssdAid: q['ssd_aid'], state: q['state'] })),
    };
  }

  async operations(q: { iccid?: string; limit: number }): Promise<Record<string, unknown>[]> {
    const rows = await this.ds.query(
      `SELECT request_id, kind, requested_by, iccid, msisdn, ssd_aid, status, outcome, reason, status_word, created_at, completed_at
         FROM tsm_operation WHERE ($1::text IS NULL OR iccid = $1) ORDER BY created_at DESC LIMIT $2`,
      [q.iccid ?? null, q.limit],
    );
    return rows.map((r: Record<string, unknown>) => ({
      requestId: r['request_id'],
      kind: r['kind'],
      requestedBy: r['requested_by'],
      iccid: r['iccid'],
      msisdn: r['msisdn'],
      ssdAid: r['ssd_aid'],
      status: r['status'],
      outcome: r['outcome'],
      reason: r['reason'],
      statusWord: r['status_word'],
      createdAt: (r['created_at'] as Date).toISOString(),
      completedAt: (r['completed_at'] as Date | null)?.toISOString() ?? null,
    }));
  }

  // ---------- helpers shared with the message handlers ----------

  /** The live (not cancelled) subscriber with this MSISDN, else the most recent cancelled one. */
  async latestByMsisdn(m: EntityManager, msisdn: string): Promise<SubscriberRow | undefined> {
    const rows: SubscriberRow[] = await m.query(`${SUBSCRIBER_SELECT} WHERE s.msisdn = $1 ORDER BY (s.status = 'cancelled'), s.created_at DESC LIMIT 1`, [msisdn]);
    return rows[0];
  }

  /** Allocates an ICCID, derives the ISD keyset, records the SIM and asks the vSIM to manufacture it. */
  private async newSim(m: EntityManager, requestedGeneration: string | undefined, replaces: string | null): Promise<string> {
    const generations = this.settings.profile.simGenerations;
    const generation =
      requestedGeneration ?? Object.keys(generations).find((g) => generations[g].supportsJpkiApplet) ?? Object.keys(generations)[0];
    const spec = generations[generation];
    if (!spec) {
      throw unprocessable('SIM_GENERATION_UNKNOWN', `${generation} is not a ${this.settings.carrier} SIM generation`, { known: Object.keys(generations) });
    }
    const [{ serial }] = await m.query(`SELECT nextval('iccid_serial')::text AS serial`);
    const iccid = iccidFor(this.settings.profile.iccidPrefix, BigInt(serial));
    const now = this.clock.now();
    await this.sims.insert(m, { iccid, generation, isdAid: this.settings.isdAid, isdKvn: this.settings.isdKvn, memoryQuotaBytes: spec.memoryQuotaBytes, replaces }, now);
    await this.outbox.publish(m, SimManufactureRequested, {
      carrier: this.settings.carrier,
      iccid,
      generation,
      memoryQuotaBytes: spec.memoryQuotaBytes,
      isdKeyset: this.isdKeys.sealedForManufacture(iccid, this.keys),
    });
    return iccid;
  }

  private async freeMsisdn(m: EntityManager): Promise<string> {
    for (let i = 0; i < 20; i++) {
      const candidate = `+81${['70', '80', '90'][randomInt(3)]}${String(randomInt(100_000_000)).padStart(8, '0')}`;
      if (!(await this.liveSubscriber(m, candidate))) return candidate;
    }
    throw conflict('MSISDN_EXHAUSTED', 'no free MSISDN found');
  }

  private async liveSubscriber(m: EntityManager, msisdn: string): Promise<boolean> {
    const rows = await m.query(`SELECT 1 FROM subscriber WHERE msisdn = $1 AND status <> 'cancelled'`, [msisdn]);
    return rows.length > 0;
  }

  private async requireLive(m: EntityManager, msisdn: string): Promise<SubscriberRow> {
    const rows: SubscriberRow[] = await m.query(`${SUBSCRIBER_SELECT} WHERE s.msisdn = $1 AND s.status <> 'cancelled' FOR UPDATE OF s`, [msisdn]);
    if (rows[0]) return rows[0];
    if (await this.latestByMsisdn(m, msisdn)) throw conflict('SUBSCRIBER_CANCELLED', `the contract of ${msisdn} has ended`);
    throw notFound('SUBSCRIBER_UNKNOWN', `no subscriber ${msisdn} on ${this.settings.carrier}`);
  }

  private async view(m: EntityManager, id: string): Promise<SubscriberView> {
    const rows: SubscriberRow[] = await m.query(`${SUBSCRIBER_SELECT} WHERE s.id = $1`, [id]);
    return toView(rows[0]);
  }
}

function toView(r: SubscriberRow): SubscriberView {
  return {
    id: r.id,
    msisdn: r.msisdn,
    iccid: r.iccid,
    mvno: r.mvno,
    status: r.status,
    imei: r.imei,
    sim: { iccid: r.iccid, generation: r.generation, state: r.sim_state },
    pendingSimSwap: r.pending_iccid,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}
