import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { buildManageChannelClose, buildManageChannelOpen, buildSelect, hex, ResponseApdu } from '@jpki/globalplatform';
import { createLogger } from '@jpki/observability';
import { Clock, conflict, DomainHttpException, notFound, SERVICE_CONFIG } from '@jpki/service-kit';
import type { VsimConfig } from '../config';
import { statusWordOf } from '../cards/apdu-log';
import { CardStore, type CardHandle, type SeRow } from '../cards/card-store';
import { checkOpenChannel, isRefusal, parseHandsetApdu, routeHandsetApdu, type Refusal } from './access-control';
import { handsetRefusals, type HandsetCaller } from './handset-auth.guard';

const refused = (r: Refusal) => new DomainHttpException(r.status, r.reason, r.message);

/** Outcome of a transaction that reached the card: committed either way, then answered or refused. */
type Result<T> = { ok: T } | { refusal: DomainHttpException };

/**
 * The handset's side of the card (OMAPI-like): logical channels 1-3 opened to allowed applets, APDUs transmitted on
 * them. Callers are authenticated handsets (`HandsetAuthGuard`); a channel belongs to the handset session that opened
 * it. Each call is one transaction holding the card's row lock; once an APDU reached the card, the transaction
 * commits (new image if it changed), even when the HTTP answer is a refusal.
 */
@Injectable()
export class HandsetService {
  private readonly log: ReturnType<typeof createLogger>;
  private readonly refusals = handsetRefusals();

  constructor(
    private readonly ds: DataSource,
    private readonly cards: CardStore,
    private readonly clock: Clock,
    @Inject(SERVICE_CONFIG) private readonly config: VsimConfig,
  ) {
    this.log = createLogger('vsim.handset', config.LOG_LEVEL);
  }

  async openChannel(caller: HandsetCaller, aid: string): Promise<{ channel: number; selectResponse: string }> {
    const { seid } = caller;
    const wanted = aid.toUpperCase();
    return this.settle(
      this.ds.transaction(async (m): Promise<Result<{ channel: number; selectResponse: string }>> => {
        const se = await this.lockPowered(m, caller);
        const handle = this.cards.checkout(se);
        const denial = checkOpenChannel(this.config.HANDSET_ALLOWED_AIDS, wanted, handle.card.toImage());
        if (denial) {
          this.cards.release(handle);
          throw this.refuse(denial, seid);
        }
        if (!handle.reloaded) await this.closeIdleChannels(m, handle);
        const opened = ResponseApdu.parse(handle.transmit(buildManageChannelOpen().toBytes(), 'handset'));
        if (!opened.isOk || opened.data.length !== 1) {
          await this.cards.save(m, handle);
          return { refusal: conflict('NO_CHANNEL_AVAILABLE', `MANAGE CHANNEL [open] answered ${hex(opened.toBytes())}`) };
        }
        const channel = opened.data[0];
        const select = handle.transmit(buildSelect(Buffer.from(wanted, 'hex'), channel).toBytes(), 'handset');
        if (!ResponseApdu.parse(select).isSuccessOrWarning) {
          handle.transmit(buildManageChannelClose(channel).toBytes(), 'handset');
          await this.cards.save(m, handle);
          const refusal = new DomainHttpException(HttpStatus.NOT_FOUND, 'APPLET_NOT_FOUND', `SELECT ${wanted} answered ${hex(select.subarray(-2))}`, {
            selectResponse: hex(select),
          });
          return { refusal };
        }
        await this.cards.save(m, handle);
        const now = this.clock.now();
        await m.query(
          `INSERT INTO handset_channel (seid, channel, aid, opened_at, imei, session, last_used_at) VALUES ($1, $2, $3, $4, $5, $6, $4)
           ON CONFLICT (seid, channel) DO UPDATE
             SET aid = EXCLUDED.aid, opened_at = EXCLUDED.opened_at, imei = EXCLUDED.imei, session = EXCLUDED.session, last_used_at = EXCLUDED.last_used_at`,
          [seid, channel, wanted, now, caller.imei, caller.session],
        );
        this.log.info({ seid, channel, aid: wanted, imei: caller.imei }, 'handset channel opened');
        return { ok: { channel, selectResponse: hex(select) } };
      }),
    );
  }

  async transmit(caller: HandsetCaller, channel: number, apduHex: string): Promise<{ response: string; sw: string }> {
    const { seid } = caller;
    const parsed = parseHandsetApdu(apduHex);
    if (isRefusal(parsed)) throw this.refuse(parsed, seid);
    return this.settle(
      this.ds.transaction(async (m): Promise<Result<{ response: string; sw: string }>> => {
        const se = await this.lockPowered(m, caller);
        const aid = await this.ownedChannel(m, caller, channel);
        const routed = routeHandsetApdu(parsed, channel, aid);
        if (isRefusal(routed)) throw this.refuse(routed, seid);
        const handle = this.cards.checkout(se);
        if (handle.reloaded) {
          await this.cards.save(m, handle);
          return { refusal: notFound('CHANNEL_NOT_OPEN', `the card was reset; channel ${channel} is closed`) };
        }
        const response = handle.transmit(routed.bytes, 'handset');
        await this.cards.save(m, handle);
        await m.query(`UPDATE handset_channel SET last_used_at = $3 WHERE seid = $1 AND channel = $2`, [seid, channel, this.clock.now()]);
        return { ok: { response: hex(response), sw: hex(response.subarray(-2)) } };
      }),
    );
  }

  async closeChannel(caller: HandsetCaller, channel: number): Promise<void> {
    const { seid } = caller;
    await this.settle(
      this.ds.transaction(async (m): Promise<Result<void>> => {
        const se = await this.lockPowered(m, caller);
        await this.ownedChannel(m, caller, channel);
        const handle = this.cards.checkout(se);
        if (!handle.reloaded) this.closeOnCard(handle, channel);
        await this.cards.save(m, handle);
        await m.query(`DELETE FROM handset_channel WHERE seid = $1 AND channel = $2`, [seid, channel]);
        this.log.info({ seid, channel }, 'handset channel closed');
        return { ok: undefined };
      }),
    );
  }

  /**
   * Channels idle for HANDSET_CHANNEL_IDLE_SECONDS are closed before the handset opens another: an app that died with
   * its channels open does not lock its own phone out. Only the bound handset gets here, so no stranger can use this
   * to close the owner's channels.
   */
  private async closeIdleChannels(m: EntityManager, handle: CardHandle): Promise<void> {
    const { seid } = handle.row;
    const idleSince = new Date(this.clock.now().getTime() - this.config.HANDSET_CHANNEL_IDLE_SECONDS * 1000);
    // TypeORM answers a DELETE … RETURNING with [rows, count].
    const [idle]: [{ channel: number }[], number] = await m.query(`DELETE FROM handset_channel WHERE seid = $1 AND last_used_at < $2 RETURNING channel`, [seid, idleSince]);
    for (const { channel } of idle) this.closeOnCard(handle, channel);
    if (idle.length > 0) this.log.info({ seid, channels: idle.map((r) => r.channel) }, 'idle handset channels closed');
  }

  private closeOnCard(handle: CardHandle, channel: number): void {
    const sw = statusWordOf(handle.transmit(buildManageChannelClose(channel).toBytes(), 'handset'));
    if (sw !== 0x9000) this.log.warn({ seid: handle.row.seid, channel, sw: sw.toString(16) }, 'MANAGE CHANNEL [close] refused by the card');
  }

  /** The card's row, locked; the caller's binding is checked again under the lock (the card may have moved since). */
  private async lockPowered(m: EntityManager, caller: HandsetCaller): Promise<SeRow> {
    const se = await this.cards.lock(m, caller.seid);
    if (!se) throw notFound('SIM_NOT_FOUND', `no SIM or eSE ${caller.seid}`);
    const bound: unknown[] = await m.query(`SELECT 1 FROM handset_binding WHERE seid = $1 AND imei = $2 AND device_public_key = $3`, [
      caller.seid,
      caller.imei,
      caller.devicePublicKey,
    ]);
    if (bound.length === 0) throw this.refuse({ status: HttpStatus.FORBIDDEN, reason: 'HANDSET_NOT_BOUND', message: `${caller.seid} is in another handset` }, caller.seid);
    if (!se.handsetOn) throw conflict('HANDSET_OFF', `the handset of ${caller.seid} is off (airplane mode or out of coverage)`);
    return se;
  }

  /** The channel's AID, if the caller's session opened it: another session's channel (and its PIN state) is refused. */
  private async ownedChannel(m: EntityManager, caller: HandsetCaller, channel: number): Promise<string> {
    const rows: { aid: string; imei: string; session: string }[] = await m.query(
      `SELECT aid, imei, session FROM handset_channel WHERE seid = $1 AND channel = $2`,
      [caller.seid, channel],
    );
    const row = rows[0];
    if (!row) throw notFound('CHANNEL_NOT_OPEN', `channel ${channel} is not open on ${caller.seid}`);
    if (row.imei !== caller.imei || row.session !== caller.session) {
      throw this.refuse({ status: HttpStatus.FORBIDDEN, reason: 'CHANNEL_NOT_OWNED', message: `channel ${channel} belongs to another session` }, caller.seid);
    }
    return row.aid;
  }

  private refuse(refusal: Refusal, seid: string): DomainHttpException {
    this.refusals.inc({ reason: refusal.reason });
    this.log.info({ seid, reason: refusal.reason }, 'handset request refused');
    return refused(refusal);
  }

  private async settle<T>(pending: Promise<Result<T>>): Promise<T> {
    const result = await pending;
    if ('refusal' in result) throw result.refusal;
    return result.ok;
  }
}
