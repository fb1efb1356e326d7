import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { CardTableStore, type SecureElement } from '@jpki/tsm';

export interface SecureElementRecord extends SecureElement {
  seid: string;
  model: string;
  memory_quota_bytes: number;
  free_memory_bytes: number | null;
  memory_checked_at: Date | null;
  created_at: Date;
  activated_at: Date | null;
  updated_at: Date;
}

export interface NewSecureElement {
  seid: string;
  model: string;
  isdAid: string;
  isdKvn: number;
  memoryQuotaBytes: number;
}

/**
 * The handsets' embedded SEs (table `secure_element`), written only here: their life cycle (manufacturing, active),
 * and through `CardTableStore` the OTA lease, the ISD sequence counter and the free memory each reported. An eSE
 * serves no subscriber: its holder is the eSE itself, active or not.
 */
@Injectable()
export class EseStore extends CardTableStore<SecureElementRecord> {
  constructor(ds: DataSource) {
    super(ds, 'secure_element', 'seid');
  }

  async insert(m: EntityManager, se: NewSecureElement, at: Date): Promise<void> {
    await m.query(
      `INSERT INTO secure_element (seid, model, state, isd_aid, isd_kvn, memory_quota_bytes, created_at, updated_at)
       VALUES ($1, $2, 'manufacturing', $3, $4, $5, $6, $6)`,
      [se.seid, se.model, se.isdAid, se.isdKvn, se.memoryQuotaBytes, at],
    );
  }

  /** The eSE reported itself manufactured: active, unless it was not awaited (unknown or already active). */
  async activate(m: EntityManager, seid: string, at: Date): Promise<boolean> {
    const [rows] = await m.query(`UPDATE secure_element SET state = 'active', activated_at = $2, updated_at = $2 WHERE seid = $1 AND state = 'manufacturing' RETURNING seid`, [
      seid,
      at,
    ]);
    return rows.length > 0;
  }

  /** Newest first, `limit` of them after `after` (the last SEID of the previous page). */
  async page(q: { state?: string; model?: string; limit: number; after?: string }): Promise<SecureElementRecord[]> {
    return this.ds.query(
      `SELECT * FROM secure_element
        WHERE ($1::text IS NULL OR state = $1) AND ($2::text IS NULL OR model = $2)
          AND ($3::text IS NULL OR (created_at, seid) < (SELECT created_at, seid FROM secure_element WHERE seid = $3))
        ORDER BY created_at DESC, seid DESC LIMIT $4`,
      [q.state ?? null, q.model ?? null, q.after ?? null, q.limit],
    );
  }

  async holderStatus(seid: string): Promise<string | undefined> {
    return (await this.find(seid))?.state;
  }
}
