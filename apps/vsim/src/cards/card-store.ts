import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { RsaKeyPool } from '@jpki/crypto';
import type { EntityManager } from 'typeorm';
import type { Carrier, SeKind } from '@jpki/contracts';
import { createLogger } from '@jpki/observability';
import { Clock, SERVICE_CONFIG, ServiceKeys } from '@jpki/service-kit';
import { VirtualUicc, type CardImage, type RsaKeyPairFactory } from '@jpki/uicc';
import type { VsimConfig } from '../config';
import { VSIM_RUNTIME, type VsimRuntime } from '../runtime';
import { apduLogFields } from './apdu-log';
import type { CardAddress } from './se-address';

/** One card as stored, a SIM or an eSE: the sealed image never leaves this module unopened. */
export interface SeRow extends CardAddress {
  /** A SIM's generation, or the handset model of an eSE. */
  generation: string;
  isdAid: string;
  sealedImage: string;
  revision: number;
  stateToken: string;
  handsetOn: boolean;
  powerChangedAt: Date | null;
  manufacturedAt: Date;
  updatedAt: Date;
}

interface SeDbRow {
  seid: string;
  kind: SeKind;
  carrier: Carrier | null;
  generation: string;
  isd_aid: string;
  image: string;
  revision: number;
  state_token: string;
  handset_on: boolean;
  power_changed_at: Date | null;
  manufactured_at: Date;
  updated_at: Date;
}

const toSe = (r: SeDbRow): SeRow => ({
  seid: r.seid,
  kind: r.kind,
  carrier: r.carrier,
  generation: r.generation,
  isdAid: r.isd_aid,
  sealedImage: r.image,
  revision: r.revision,
  stateToken: r.state_token,
  handsetOn: r.handset_on,
  powerChangedAt: r.power_changed_at,
  manufacturedAt: r.manufactured_at,
  updatedAt: r.updated_at,
});

export type ApduPath = 'ota' | 'handset';

/**
 * A card checked out of the store for one transaction. Only this handle touches the card until it is saved (the
 * caller holds the row lock); every APDU is logged by header and status word only.
 */
export class CardHandle {
  private touched = false;

  constructor(
    readonly row: SeRow,
    readonly card: VirtualUicc,
    /** Loaded from the stored image: all transient state (channels, secure channels, PIN verification) is new. */
    readonly reloaded: boolean,
    private readonly log: ReturnType<typeof createLogger>,
  ) {}

  get changed(): boolean {
    return this.touched || this.reloaded;
  }

  transmit(command: Buffer, path: ApduPath): Buffer {
    this.touched = true;
    const response = this.card.transmit(command);
    this.log.debug({ seid: this.row.seid, path, apdu: apduLogFields(command, response) }, 'apdu');
    return response;
  }

  /** Power cycle: transient state goes; persistent state (PIN tries included) stays. */
  reset(): void {
    this.touched = true;
    this.card.reset();
  }
}

const AAD = (seid: string) => `vsim/card/${seid}`;

/**
 * Card images in PostgreSQL, sealed at rest, plus an in-memory cache of `VirtualUicc` instances so that transient
 * card state — above all an open SCP03 session — survives from one OTA script to the next.
 *
 * The cache entry is valid only while the row's `state_token` is the one this process wrote last. Every
 * transaction that touches a card writes a fresh token, so when another replica (or a transaction that rolled
 * back) touched the card, the tokens differ and the card is reloaded from its image: for the transient state that
 * is a card reset, exactly what a real card does after losing power.
 */
@Injectable()
export class CardStore implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly cache = new Map<string, { token: string; card: VirtualUicc }>();
  private readonly log: ReturnType<typeof createLogger>;
  readonly keyPairFactory: RsaKeyPairFactory;
  /** On-card key generation takes a pair generated ahead on the thread pool, so GENERATE KEY PAIR does not block the event loop. */
  private readonly keyPool: RsaKeyPool;

  constructor(
    private readonly keys: ServiceKeys,
    private readonly clock: Clock,
    @Inject(SERVICE_CONFIG) private readonly config: VsimConfig,
    @Inject(VSIM_RUNTIME) runtime: VsimRuntime,
  ) {
    this.log = createLogger('vsim.cards', config.LOG_LEVEL);
    this.keyPool = new RsaKeyPool({ size: runtime.keyPairFactory ? 0 : config.KEY_POOL_SIZE, onError: (err) => this.log.error({ err }, 'key pool refill failed') });
    this.keyPairFactory = runtime.keyPairFactory ?? (() => this.keyPool.takeNow());
  }

  onApplicationBootstrap(): void {
    this.keyPool.start();
  }

  onModuleDestroy(): void {
    this.keyPool.stop();
  }

  /** Stores a newly manufactured card (its SEID is the card's identifier); false when the SEID exists already. */
  async insert(manager: EntityManager, card: VirtualUicc, made: Pick<SeRow, 'kind' | 'carrier' | 'generation' | 'isdAid'>): Promise<boolean> {
    const token = randomUUID();
    const now = this.clock.now();
    const rows: unknown[] = await manager.query(
      `INSERT INTO sim (seid, kind, carrier, generation, isd_aid, image, revision, state_token, manufactured_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) ON CONFLICT (seid) DO NOTHING RETURNING seid`,
      [card.iccid, made.kind, made.carrier, made.generation, made.isdAid, this.seal(card.toImage()), card.revision, token, now],
    );
    if (rows.length === 0) return false;
    card.markClean();
    this.remember(card.iccid, token, card);
    return true;
  }

  /** The card's row, locked until the end of the transaction (`SELECT … FOR UPDATE`). */
  async lock(manager: EntityManager, seid: string): Promise<SeRow | undefined> {
    const rows: SeDbRow[] = await manager.query(`SELECT * FROM sim WHERE seid = $1 FOR UPDATE`, [seid]);
    return rows[0] ? toSe(rows[0]) : undefined;
  }

  async find(manager: EntityManager, seid: string): Promise<SeRow | undefined> {
    const rows: SeDbRow[] = await manager.query(`SELECT * FROM sim WHERE seid = $1`, [seid]);
    return rows[0] ? toSe(rows[0]) : undefined;
  }

  openImage(row: SeRow): CardImage {
    return this.keys.atRest.openJson<CardImage>(row.sealedImage, AAD(row.seid));
  }

  /**
   * Takes the card out of the cache for this transaction (the caller holds the row lock). If anything fails before
   * `save`, the instance is simply not returned, and the next transaction reloads the stored image.
   */
  checkout(row: SeRow): CardHandle {
    const cached = this.cache.get(row.seid);
    this.cache.delete(row.seid);
    if (cached && cached.token === row.stateToken && cached.card.revision === row.revision) {
      return new CardHandle(row, cached.card, false, this.log);
    }
    const card = VirtualUicc.fromImage(this.openImage(row), { keyPairFactory: this.keyPairFactory });
    if (cached) this.log.info({ seid: row.seid }, 'card state changed elsewhere: reloaded from its image (transient state reset)');
    return new CardHandle(row, card, true, this.log);
  }

  /** Returns an unchanged card to the cache (a refusal before any APDU reached it). */
  release(handle: CardHandle): void {
    if (!handle.changed) this.remember(handle.row.seid, handle.row.stateToken, handle.card);
  }

  /**
   * Persists what the transaction did to the card: the sealed image when it changed (optimistic check on the
   * revision), and a new state token in any case. The cache gets the instance back under that token before the
   * transaction commits, so the next transaction of this process, which waits for our row lock, finds it.
   */
  async save(manager: EntityManager, handle: CardHandle): Promise<void> {
    if (!handle.changed) {
      this.release(handle);
      return;
    }
    const { row, card } = handle;
    const token = randomUUID();
    const now = this.clock.now();
    const [, count] = card.isDirty
      ? ((await manager.query(
          `UPDATE sim SET image = $2, revision = $3, state_token = $4, updated_at = $5 WHERE seid = $1 AND revision = $6`,
          [row.seid, this.seal(card.toImage()), card.revision, token, now, row.revision],
        )) as [unknown, number])
      : ((await manager.query(`UPDATE sim SET state_token = $2, updated_at = $3 WHERE seid = $1 AND revision = $4`, [
          row.seid,
          token,
          now,
          row.revision,
        ])) as [unknown, number]);
    if (count !== 1) {
      throw new Error(`card ${row.seid}: stored revision is no longer ${row.revision}`);
    }
    if (handle.reloaded) {
      // The reloaded card has no logical channels open: the handset's channels are gone with the old instance.
      await manager.query(`DELETE FROM handset_channel WHERE seid = $1`, [row.seid]);
    }
    card.markClean();
    row.stateToken = token;
    row.revision = card.revision;
    row.updatedAt = now;
    this.remember(row.seid, token, card);
  }

  /** The in-memory instance, if this process holds a current one (diagnostics and tests). */
  peek(seid: string): VirtualUicc | undefined {
    return this.cache.get(seid)?.card;
  }

  private seal(image: CardImage): string {
    return this.keys.atRest.sealJson(image, AAD(image.iccid));
  }

  private remember(seid: string, token: string, card: VirtualUicc): void {
    this.cache.delete(seid);
    this.cache.set(seid, { token, card });
    while (this.cache.size > this.config.CARD_CACHE_SIZE) {
      const oldest = this.cache.keys().next().value;
      if (oldest === undefined) break;
      this.cache.delete(oldest);
    }
  }
}
