import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { CardTableStore, type SecureElement } from '@jpki/tsm';

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
 * replaced, deactivated), and through `CardTableStore` one OTA session per card at a time (a lease), the ISD
 * sequence counter the card last reported, and the free memory it last reported. The `SecureElementStore` of
 * `@jpki/tsm` (a seid is an ICCID).
 */
@Injectable()
export class SimStore extends CardTableStore<SimRecord> {
  constructor(ds: DataSource) {
    super(ds, 'sim', 'iccid');
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

  /** The status of the subscriber the card serves, if any. */
  async holderStatus(iccid: string): Promise<string | undefined> {
    const [sub] = await this.ds.query(`SELECT status FROM subscriber WHERE iccid = $1`, [iccid]);
    return sub?.status;
  }
}
