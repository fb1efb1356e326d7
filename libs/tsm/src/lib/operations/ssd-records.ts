import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { hex, type Scp03KeySet } from '@jpki/globalplatform';
import { StepFailure } from '@jpki/saga';
import { Clock, ServiceKeys } from '@jpki/service-kit';
import { keysetFromJson, keysetJson } from '../domain/isd-keys';

export type SsdState = 'creating' | 'created' | 'locked' | 'deleted' | 'failed';

export interface SsdRow {
  iccid: string;
  ssd_aid: string;
  state: SsdState;
  request_id: string;
  keyset_recipient: string | null;
  handed_over_at: Date | null;
  temp_keyset_sealed: string | null;
}

/** What the TSM records about one SSD creation request. */
export interface SsdCreation {
  iccid: string;
  ssdAid: string;
  requestId: string;
  requestedBy: string;
  privileges: Buffer;
  installParameters: Buffer;
  temporaryKeys: Scp03KeySet;
  keysetRecipient: string;
}

// The MNO-TSM's name stays in the AAD: rows sealed under it are stored.
const temporaryKeysetAad = (iccid: string, aid: string) => `mno-tsm/ssd-temp-keyset/${iccid}/${aid}`;

/**
 * The `ssd` table, its only writer: the SSDs the TSM created on its cards, and the temporary keyset of an SSD being
 * created, sealed at rest until it is handed over (then forgotten). AIDs are stored upper case.
 */
@Injectable()
export class SsdRecords {
  constructor(
    private readonly ds: DataSource,
    private readonly keys: ServiceKeys,
    private readonly clock: Clock,
  ) {}

  async lock(m: EntityManager, iccid: string, ssdAid: string): Promise<SsdRow | undefined> {
    const [row] = await m.query(`SELECT * FROM ssd WHERE iccid = $1 AND ssd_aid = $2 FOR UPDATE`, [iccid, ssdAid.toUpperCase()]);
    return row;
  }

  /** Every SSD of a SIM, oldest first. */
  async ofSim(iccid: string): Promise<Record<string, unknown>[]> {
    return this.ds.query(`SELECT * FROM ssd WHERE iccid = $1 ORDER BY created_at`, [iccid]);
  }

  /** Records (or restarts) a creation with its temporary keyset sealed at rest. */
  async startCreation(m: EntityManager, c: SsdCreation): Promise<void> {
    const aid = c.ssdAid.toUpperCase();
    const kcvs = c.temporaryKeys.kcvs();
    const sealed = this.keys.atRest.sealJson(keysetJson(c.temporaryKeys), temporaryKeysetAad(c.iccid, aid));
    await m.query(
      `INSERT INTO ssd (iccid, ssd_aid, state, request_id, requested_by, privileges, install_parameters, temp_kvn, temp_kcvs, temp_keyset_sealed, keyset_recipient, created_at, updated_at)
       VALUES ($1, $2, 'creating', $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)
       ON CONFLICT (iccid, ssd_aid) DO UPDATE SET state = 'creating', request_id = $3, requested_by = $4, privileges = $5, install_parameters = $6,
         temp_kvn = $7, temp_kcvs = $8, temp_keyset_sealed = $9, keyset_recipient = $10, handed_over_at = NULL, created_at = $11, updated_at = $11`,
      [c.iccid, aid, c.requestId, c.requestedBy, hex(c.privileges), hex(c.installParameters), c.temporaryKeys.kvn,
        { enc: hex(kcvs.enc), mac: hex(kcvs.mac), dek: hex(kcvs.dek) }, sealed, c.keysetRecipient, this.clock.now()],
    );
  }

  /** The temporary keyset of an SSD being created; gone once handed over. */
  async temporaryKeys(iccid: string, ssdAid: string): Promise<Scp03KeySet> {
    const aid = ssdAid.toUpperCase();
    const [row] = await this.ds.query(`SELECT temp_keyset_sealed FROM ssd WHERE iccid = $1 AND ssd_aid = $2`, [iccid, aid]);
    if (!row?.temp_keyset_sealed) throw new StepFailure('TEMPORARY_KEYSET_GONE', `no temporary keyset for ${aid} on ${iccid}`, false);
    return keysetFromJson(this.keys.atRest.openJson(row.temp_keyset_sealed, temporaryKeysetAad(iccid, aid)));
  }

  /** The handover: who received the keyset and when; the temporary keys are forgotten. */
  async handedOver(m: EntityManager, iccid: string, ssdAid: string, recipient: string): Promise<void> {
    await m.query(
      `UPDATE ssd SET state = 'created', temp_keyset_sealed = NULL, keyset_recipient = $3, handed_over_at = $4, updated_at = $4 WHERE iccid = $1 AND ssd_aid = $2`,
      [iccid, ssdAid.toUpperCase(), recipient, this.clock.now()],
    );
  }

  /** A creation that failed for good: its temporary keys are forgotten. */
  async creationFailed(m: EntityManager, iccid: string, ssdAid: string, requestId: string): Promise<void> {
    await m.query(
      `UPDATE ssd SET state = 'failed', temp_keyset_sealed = NULL, updated_at = $4 WHERE iccid = $1 AND ssd_aid = $2 AND request_id = $3 AND state = 'creating'`,
      [iccid, ssdAid.toUpperCase(), requestId, this.clock.now()],
    );
  }

  /** The state a lock, unlock or delete left the SSD in; a deleted SSD keeps no keys. */
  async operationApplied(m: EntityManager, iccid: string, ssdAid: string, state: 'created' | 'locked' | 'deleted'): Promise<void> {
    await m.query(
      `UPDATE ssd SET state = $3, temp_keyset_sealed = CASE WHEN $3 = 'deleted' THEN NULL ELSE temp_keyset_sealed END, updated_at = $4 WHERE iccid = $1 AND ssd_aid = $2`,
      [iccid, ssdAid.toUpperCase(), state, this.clock.now()],
    );
  }
}
