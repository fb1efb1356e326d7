import type { DataSource, EntityManager } from 'typeorm';
import type { SequenceCounterStore } from '@jpki/globalplatform';
import { SecureElementStore, type SecureElement } from './secure-element-store';

/**
 * A `SecureElementStore` over the app's card table `table`, keyed by `key` (the SEID), with the columns the shared
 * code needs besides `state`, `isd_aid` and `isd_kvn`: the OTA lease (`ota_owner`, `ota_owner_until`), the ISD
 * sequence counter (`isd_sequence_counter`, NULL until known) and the reported free memory (`free_memory_bytes`,
 * `memory_checked_at`). The app adds its card's life cycle and who it serves (`holderStatus`).
 */
export abstract class CardTableStore<Row extends SecureElement> extends SecureElementStore {
  protected constructor(
    protected readonly ds: DataSource,
    private readonly table: string,
    private readonly key: string,
  ) {
    super();
  }

  async find(seid: string, m: EntityManager = this.ds.manager): Promise<Row | undefined> {
    const [card] = (await m.query(`SELECT * FROM ${this.table} WHERE ${this.key} = $1`, [seid])) as Row[];
    return card;
  }

  async lease(seid: string, owner: string, ms: number): Promise<boolean> {
    const [rows] = await this.ds.query(
      `UPDATE ${this.table} SET ota_owner = $2, ota_owner_until = now() + ($3 || ' milliseconds')::interval
        WHERE ${this.key} = $1 AND (ota_owner IS NULL OR ota_owner = $2 OR ota_owner_until < now()) RETURNING ${this.key}`,
      [seid, owner, String(ms)],
    );
    return Boolean(rows && rows.length > 0);
  }

  async release(seid: string, owner: string): Promise<void> {
    await this.ds.query(`UPDATE ${this.table} SET ota_owner = NULL, ota_owner_until = NULL WHERE ${this.key} = $1 AND ota_owner = $2`, [seid, owner]);
  }

  sequenceCounter(seid: string): SequenceCounterStore {
    return {
      last: async () => (await this.ds.query(`SELECT isd_sequence_counter FROM ${this.table} WHERE ${this.key} = $1`, [seid]))[0]?.isd_sequence_counter ?? undefined,
      saw: async (counter) => {
        await this.ds.query(`UPDATE ${this.table} SET isd_sequence_counter = $2 WHERE ${this.key} = $1`, [seid, counter]);
      },
    };
  }

  async recordFreeMemory(seid: string, bytes: number, at: Date): Promise<void> {
    await this.ds.query(`UPDATE ${this.table} SET free_memory_bytes = $2, memory_checked_at = $3 WHERE ${this.key} = $1`, [seid, bytes, at]);
  }
}
