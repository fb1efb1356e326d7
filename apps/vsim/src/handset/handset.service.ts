import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { buildManageChannelClose, buildManageChannelOpen, buildSelect, hex, ResponseApdu } from '@jpki/globalplatform';
import { counter, createLogger } from '@jpki/observability';
import { Clock, conflict, DomainHttpException, notFound, SERVICE_CONFIG } from '@jpki/service-kit';
import type { VsimConfig } from '../config';
import { statusWordOf } from '../cards/apdu-log';
import { CardStore, type SimRow } from '../cards/card-store';
import { checkOpenChannel, isRefusal, parseHandsetApdu, routeHandsetApdu, type Refusal } from './access-control';

const refused = (r: Refusal) => new DomainHttpException(r.status, r.reason, r.message);

/** Outcome of a transaction that reached the card: committed either way, then answered or refused. */
type Result<T> = { ok: T } | { refusal: DomainHttpException };

/**
 * The handset's side of the card (OMAPI-like): logical channels 1-3 opened to allowed applets, APDUs transmitted on
 * them. Each call is one transaction holding the card's row lock; once an APDU reached the card, the transaction
 * commits (new image if it changed), even when the HTTP answer is a refusal.
 */
@Injectable()
export class HandsetService {
  private readonly log: ReturnType<typeof createLogger>;
  private readonly refusals = counter('vsim_handset_refusals_total', 'Handset API calls refused before reaching the card', ['reason']);

  constructor(
    private readonly ds: DataSource,
    private readonly cards: CardStore,
    private readonly clock: Clock,
    @Inject(SERVICE_CONFIG) private readonly config: VsimConfig,
  ) {
    this.log = createLogger('vsim.handset', config.LOG_LEVEL);
  }

  async openChannel(iccid: string, aid: string): Promise<{ channel: number; selectResponse: string }> {
    const wanted = aid.toUpperCase();
    return this.settle(
      this.ds.transaction(async (m): Promise<Result<{ channel: number; selectResponse: string }>> => {
        const sim = await this.lockPowered(m, iccid);
        const handle = this.cards.checkout(sim);
        const denial = checkOpenChannel(this.config.HANDSET_ALLOWED_AIDS, wanted, handle.card.toImage());
        if (denial) {
          this.cards.release(handle);
          throw this.refuse(denial, iccid);
        }
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
        await m.query(
          `INSERT INTO handset_channel (iccid, channel, aid, opened_at) VALUES ($1, $2, $3, $4)
           ON CONFLICT (iccid, channel) DO UPDATE SET aid = EXCLUDED.aid, opened_at = EXCLUDED.opened_at`,
          [iccid, channel, wanted, this.clock.now()],
        );
        this.log.info({ iccid, channel, aid: wanted }, 'handset channel opened');
        return { ok: { channel, selectResponse: hex(select) } };
      }),
    );
  }

  async transmit(iccid: string, channel: number, apduHex: string): Promise<{ response: string; sw: string }> {
    const parsed = parseHandsetApdu(apduHex);
    if (isRefusal(parsed)) throw this.refuse(parsed, iccid);
    return this.settle(
      this.ds.transaction(async (m): Promise<Result<{ response: string; sw: string }>> => {
        const sim = await this.lockPowered(m, iccid);
        const aid = await this.channelAid(m, iccid, channel);
        const routed = routeHandsetApdu(parsed, channel, aid);
        if (isRefusal(routed)) throw this.refuse(routed, iccid);
        const handle = this.cards.checkout(sim);
        if (handle.reloaded) {
          await this.cards.save(m, handle);
          return { refusal: notFound('CHANNEL_NOT_OPEN', `the card was reset; channel ${channel} is closed`) };
        }
        const response = handle.transmit(routed.bytes, 'handset');
        await this.cards.save(m, handle);
        return { ok: { response: hex(response), sw: hex(response.subarray(-2)) } };
      }),
    );
  }

  async closeChannel(iccid: string, channel: number): Promise<void> {
    await this.settle(
      this.ds.transaction(async (m): Promise<Result<void>> => {
        const sim = await this.lockPowered(m, iccid);
        await this.channelAid(m, iccid, channel);
        const handle = this.cards.checkout(sim);
        if (!handle.reloaded) {
          const sw = statusWordOf(handle.transmit(buildManageChannelClose(channel).toBytes(), 'handset'));
          if (sw !== 0x9000) this.log.warn({ iccid, channel, sw: sw.toString(16) }, 'MANAGE CHANNEL [close] refused by the card');
        }
        await this.cards.save(m, handle);
        await m.query(`DELETE FROM handset_channel WHERE iccid = $1 AND channel = $2`, [iccid, channel]);
        this.log.info({ iccid, channel }, 'handset channel closed');
        return { ok: undefined };
      }),
    );
  }

  private async lockPowered(m: EntityManager, iccid: string): Promise<SimRow> {
    const sim = await this.cards.lock(m, iccid);
    if (!sim) throw notFound('SIM_NOT_FOUND', `no SIM ${iccid}`);
    if (!sim.handsetOn) throw conflict('HANDSET_OFF', `the handset of ${iccid} is off (airplane mode or out of coverage)`);
    return sim;
  }

  private async channelAid(m: EntityManager, iccid: string, channel: number): Promise<string> {
    const rows: { aid: string }[] = await m.query(`SELECT aid FROM handset_channel WHERE iccid = $1 AND channel = $2`, [iccid, channel]);
    if (!rows[0]) throw notFound('CHANNEL_NOT_OPEN', `channel ${channel} is not open on ${iccid}`);
    return rows[0].aid;
  }

  private refuse(refusal: Refusal, iccid: string): DomainHttpException {
    this.refusals.inc({ reason: refusal.reason });
    this.log.info({ iccid, reason: refusal.reason }, 'handset request refused');
    return refused(refusal);
  }

  private async settle<T>(pending: Promise<Result<T>>): Promise<T> {
    const result = await pending;
    if ('refusal' in result) throw result.refusal;
    return result.ok;
  }
}
