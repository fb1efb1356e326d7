import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { kcvAes, Scp03KeySet, type SequenceCounterStore } from '@jpki/globalplatform';
import { ServiceKeys } from '@jpki/service-kit';

type Role = 'temporary' | 'sp';

/** Where the SP keeps the SCP03 sequence counter the card last used with each keyset of one SSD (by KVN). */
export type SequenceCounters = (kvn: number) => SequenceCounterStore;
interface KeysetRow {
  kvn: number;
  status: 'pending' | 'active' | 'retired';
  sealed: string;
}
interface SealedKeyset {
  kvn: number;
  enc: string;
  mac: string;
  dek: string;
}

/**
 * The SP-TSM's card secrets, sealed at rest: the temporary keyset received from the MNO-TSM, the
 * SP's own keyset per secure element (generated here, stored before it is sent to the card so a crash can
 * never lose it), and the end-to-end content key of each applet.
 */
@Injectable()
export class KeysetVault {
  constructor(
    private readonly ds: DataSource,
    private readonly keys: ServiceKeys,
  ) {}

  async storeTemporary(m: EntityManager, seid: string, ssdAid: string, keyset: Scp03KeySet): Promise<void> {
    await m.query(
      `INSERT INTO ssd_keyset (seid, ssd_aid, role, kvn, status, sealed, kcv, sequence_counter) VALUES ($1, $2, 'temporary', $3, 'active', $4, $5, 0)
       ON CONFLICT (seid, ssd_aid, role) DO UPDATE SET kvn = EXCLUDED.kvn, status = 'active', sealed = EXCLUDED.sealed, kcv = EXCLUDED.kcv,
         sequence_counter = 0, updated_at = now()`,
      [seid, ssdAid, keyset.kvn, this.seal(seid, ssdAid, 'temporary', keyset), kcvAes(keyset.enc).toString('hex')],
    );
  }

  /** The SP keyset for this SSD, generated and stored as `pending` on first use (a keyset PUT on a card starts at counter 0). */
  async spKeyset(seid: string, ssdAid: string, kvn: number, keyBytes: number): Promise<{ keys: Scp03KeySet; status: KeysetRow['status'] }> {
    const fresh = new Scp03KeySet(kvn, randomBytes(keyBytes), randomBytes(keyBytes), randomBytes(keyBytes));
    await this.ds.query(
      `INSERT INTO ssd_keyset (seid, ssd_aid, role, kvn, status, sealed, kcv, sequence_counter) VALUES ($1, $2, 'sp', $3, 'pending', $4, $5, 0)
       ON CONFLICT DO NOTHING`,
      [seid, ssdAid, kvn, this.seal(seid, ssdAid, 'sp', fresh), kcvAes(fresh.enc).toString('hex')],
    );
    const row = await this.row(this.ds.manager, seid, ssdAid, 'sp');
    if (!row) throw new Error(`SP keyset for ${seid}/${ssdAid} vanished`);
    return { keys: this.open(seid, ssdAid, 'sp', row.sealed), status: row.status };
  }

  async load(m: EntityManager, seid: string, ssdAid: string, role: Role): Promise<Scp03KeySet | undefined> {
    const row = await this.row(m, seid, ssdAid, role);
    return row && row.status !== 'retired' ? this.open(seid, ssdAid, role, row.sealed) : undefined;
  }

  /** The sequence counters of this SSD's keysets as the card last reported them. */
  sequenceCounters(seid: string, ssdAid: string): SequenceCounters {
    return (kvn) => ({
      last: async () => {
        const rows: { sequence_counter: number | null }[] = await this.ds.query(
          `SELECT sequence_counter FROM ssd_keyset WHERE seid = $1 AND ssd_aid = $2 AND kvn = $3 AND status <> 'retired'`,
          [seid, ssdAid, kvn],
        );
        return rows[0]?.sequence_counter ?? undefined;
      },
      saw: async (counter) => {
        await this.ds.query(
          `UPDATE ssd_keyset SET sequence_counter = $4, updated_at = now() WHERE seid = $1 AND ssd_aid = $2 AND kvn = $3 AND status <> 'retired'`,
          [seid, ssdAid, kvn, counter],
        );
      },
    });
  }

  /** After a confirmed handover the temporary keys are destroyed, not just marked. */
  async completeHandover(seid: string, ssdAid: string): Promise<void> {
    await this.ds.transaction(async (m) => {
      await m.query(`UPDATE ssd_keyset SET status = 'active', updated_at = now() WHERE seid = $1 AND ssd_aid = $2 AND role = 'sp'`, [seid, ssdAid]);
      await m.query(
        `UPDATE ssd_keyset SET status = 'retired', sealed = '', updated_at = now() WHERE seid = $1 AND ssd_aid = $2 AND role = 'temporary'`,
        [seid, ssdAid],
      );
    });
  }

  /** Forgets every secret of an SSD that no longer exists: its keysets and its applet instances' content keys. */
  async destroy(m: EntityManager, seid: string, ssdAid: string): Promise<void> {
    await m.query(`DELETE FROM ssd_keyset WHERE seid = $1 AND ssd_aid = $2`, [seid, ssdAid]);
    await m.query(`DELETE FROM applet_content_key WHERE seid = $1`, [seid]);
  }

  /** The applet's AES-256 end-to-end content key, generated on first use. */
  async contentKey(seid: string, appletAid: string): Promise<Buffer> {
    const aad = `sp-tsm/content-key/${seid}/${appletAid}`;
    const fresh = randomBytes(32);
    await this.ds.query(`INSERT INTO applet_content_key (seid, applet_aid, sealed, kcv) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`, [
      seid,
      appletAid,
      this.keys.atRest.seal(fresh, aad),
      kcvAes(fresh).toString('hex'),
    ]);
    const rows: { sealed: string }[] = await this.ds.query(`SELECT sealed FROM applet_content_key WHERE seid = $1 AND applet_aid = $2`, [
      seid,
      appletAid,
    ]);
    return this.keys.atRest.open(rows[0].sealed, aad);
  }

  private async row(m: EntityManager, seid: string, ssdAid: string, role: Role): Promise<KeysetRow | undefined> {
    const rows: KeysetRow[] = await m.query(`SELECT kvn, status, sealed FROM ssd_keyset WHERE seid = $1 AND ssd_aid = $2 AND role = $3`, [
      seid,
      ssdAid,
      role,
    ]);
    return rows[0];
  }

  private seal(seid: string, ssdAid: string, role: Role, k: Scp03KeySet): string {
    const value: SealedKeyset = { kvn: k.kvn, enc: k.enc.toString('hex'), mac: k.mac.toString('hex'), dek: k.dek.toString('hex') };
    return this.keys.atRest.sealJson(value, `sp-tsm/ssd-keyset/${seid}/${ssdAid}/${role}`);
  }

  private open(seid: string, ssdAid: string, role: Role, sealed: string): Scp03KeySet {
    const v = this.keys.atRest.openJson<SealedKeyset>(sealed, `sp-tsm/ssd-keyset/${seid}/${ssdAid}/${role}`);
    return new Scp03KeySet(v.kvn, Buffer.from(v.enc, 'hex'), Buffer.from(v.mac, 'hex'), Buffer.from(v.dek, 'hex'));
  }
}
