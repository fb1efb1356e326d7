import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { SequenceCounterStore } from '@jpki/globalplatform';
import type { SecureElement, SecureElementStore } from '@jpki/tsm';

export interface SimRecord extends SecureElement {
  iccid: string;
  generation: string;
  memory_quota_bytes: number;
  replaces_iccid: string | null;
  free_memory_bytes: number | null;
}

export interface NewSim {
  iccid: string;
  generation: string;
  isdAid: string;
  isdKvn: number;
  memoryQuotaBytes: number;
  replaces: string | null;
}

/**
 * The carrier's SIM cards (table `sim`), written only here and read here by ICCID (the fleet's subscriber view joins it): the fleet's life cycle (manufactured, active,
 * replaced, deactivated), one OTA session per card at a time (a lease), the ISD sequence counter the card last
 * reported, and the free memory it last reported. The `SecureElementStore` of `@jpki/tsm` (a seid is an ICCID).
 */
@Injectable()
export class SimStore implements SecureElementStore {
  constructor(private readonly ds: DataSource) {}

  async find(iccid: string, m: EntityManager = this.ds.manager): Promise<SimRecord | undefined> {
    const [sim] = (await m.query(`SELECT * FROM sim WHERE iccid = $1`, [iccid])) as SimRecord[];
    return sim;
  }

  async insert(m: EntityManager, sim: NewSim, at: Date): Promise<void> {
    await m.query(
      `INSERT INTO sim (iccid, generation, state, isd_aid, isd_kvn, memory_quota_bytes, replaces_iccid, created_at, updated_at)
       VALUES ($1, $2, 'manufacturing', $3, $4, $5, $6, $7, $7)`,
      [sim.iccid, sim.generation, sim.isdAid, sim.isdKvn, sim.memoryQuotaBytes, sim.replaces, at],
    );
  }

  /** The card reported itself manufactured: active, unless it was not awaited (unknown, already active or retired). */
  async activate(m: EntityManager, iccid: string, eid: string | null, at: Date): Promise<Pick<SimRecord, 'iccid' | 'replaces_iccid'> | undefined> {
    const [[sim]] = await m.query(
      `UPDATE sim SET state = 'active', eid = $2, activated_at = $3, updated_at = $3 WHERE iccid = $1 AND state = 'manufacturing' RETURNING iccid, replaces_iccid`,
      [iccid, eid, at],
    );
    return sim;
  }

  async retire(m: EntityManager, iccid: string, at: Date): Promise<void> {
    await m.query(`UPDATE sim SET state = 'retired', updated_at = $2 WHERE iccid = $1`, [iccid, at]);
  }

  /** Contract end: the card is deactivated, and a replacement still being manufactured is retired. */
  async deactivate(m: EntityManager, iccid: string, at: Date): Promise<void> {
    await m.query(`UPDATE sim SET state = 'deactivated', updated_at = $2 WHERE iccid = $1`, [iccid, at]);
    await m.query(`UPDATE sim SET state = 'retired', updated_at = $2 WHERE replaces_iccid = $1 AND state = 'manufacturing'`, [iccid, at]);
  }

  /** Takes the card's OTA lease for `owner` (or renews it); false while another owner holds an unexpired one. */
  async lease(iccid: string, owner: string, ms: number): Promise<boolean> {
    const [rows] = await this.ds.query(
      `UPDATE sim SET ota_owner = $2, ota_owner_until = now() + ($3 || ' milliseconds')::interval
        WHERE iccid = $1 AND (ota_owner IS NULL OR ota_owner = $2 OR ota_owner_until < now()) RETURNING iccid`,
      [iccid, owner, String(ms)],
    );
    return Boolean(rows && rows.length > 0);
  }

  async release(iccid: string, owner: string): Promise<void> {
    await this.ds.query(`UPDATE sim SET ota_owner = NULL, ota_owner_until = NULL WHERE iccid = $1 AND ota_owner = $2`, [iccid, owner]);
  }

  /** The ISD sequence counter the card last reported; NULL (unknown) until the first INITIALIZE UPDATE. */
  sequenceCounter(iccid: string): SequenceCounterStore {
    return {
      last: async () => (await this.ds.query(`SELECT isd_sequence_counter FROM sim WHERE iccid = $1`, [iccid]))[0]?.isd_sequence_counter ?? undefined,
      saw: async (counter) => {
        await this.ds.query(`UPDATE sim SET isd_sequence_counter = $2 WHERE iccid = $1`, [iccid, counter]);
      },
    };
  }

  /** Free memory as the card itself reported it (GET DATA FF21), not the fleet's estimate. */
  async recordFreeMemory(iccid: string, bytes: number, at: Date): Promise<void> {
    await this.ds.query(`UPDATE sim SET free_memory_bytes = $2, memory_checked_at = $3 WHERE iccid = $1`, [iccid, bytes, at]);
  }

  /** The status of the subscriber the card serves, if any. */
  async holderStatus(iccid: string): Promise<string | undefined> {
    const [sub] = await this.ds.query(`SELECT status FROM subscriber WHERE iccid = $1`, [iccid]);
    return sub?.status;
  }
}
