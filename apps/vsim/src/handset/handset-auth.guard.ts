import { CanActivate, createParamDecorator, ExecutionContext, HttpStatus, Inject, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { DataSource } from 'typeorm';
import { counter, createLogger } from '@jpki/observability';
import { DomainHttpException, notFound, SERVICE_CONFIG } from '@jpki/service-kit';
import type { VsimConfig } from '../config';
import type { Refusal } from './access-control';
import { parseSeid } from './seid-param';
import {
  checkFreshness,
  checkHandsetSignature,
  HANDSET_SIGNATURE_HEADER,
  parseDevicePublicKey,
  parseHandsetAuthorization,
  type HandsetAuthorization,
} from './handset-auth';

/** The authenticated caller of a handset-channel request: the handset holding the card (SIM or eSE), and its OMAPI session. */
export interface HandsetCaller {
  readonly seid: string;
  readonly imei: string;
  readonly session: string;
  /** As bound (base64 SPKI): the service checks under the card's row lock that the binding has not changed since. */
  readonly devicePublicKey: string;
}

type HandsetRequest = Request & { handset?: HandsetCaller };

export const handsetRefusals = () => counter('vsim_handset_refusals_total', 'Handset API calls refused before reaching the card', ['reason']);

/**
 * Admits a handset-channel request only from the handset the card is in (see `handset-auth.ts`). Every refusal is made
 * here, before the card's row is locked or anything reaches the card: 401 without a valid, fresh, unreplayed signature,
 * 403 `HANDSET_NOT_BOUND` for any handset other than the one holding the card.
 */
@Injectable()
export class HandsetAuthGuard implements CanActivate {
  private readonly log: ReturnType<typeof createLogger>;
  private readonly refusals = handsetRefusals();

  constructor(
    private readonly ds: DataSource,
    @Inject(SERVICE_CONFIG) private readonly config: VsimConfig,
  ) {
    this.log = createLogger('vsim.handset', config.LOG_LEVEL);
  }

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const req = ctx.switchToHttp().getRequest<HandsetRequest>();
    const seid = parseSeid(req.params['seid'] as string);
    const auth = parseHandsetAuthorization(req.header(HANDSET_SIGNATURE_HEADER));
    if ('reason' in auth) throw this.refuse(auth, seid);
    const maxAgeMs = this.config.HANDSET_REQUEST_MAX_AGE_SECONDS * 1000;
    const stale = checkFreshness(auth, Date.now(), maxAgeMs);
    if (stale) throw this.refuse(stale, seid, auth);

    const rows: { imei: string | null; device_public_key: string | null }[] = await this.ds.query(
      `SELECT b.imei, b.device_public_key FROM sim s LEFT JOIN handset_binding b ON b.seid = s.seid WHERE s.seid = $1`,
      [seid],
    );
    if (!rows[0]) throw notFound('SIM_NOT_FOUND', `no SIM or eSE ${seid}`);
    const { imei, device_public_key: devicePublicKey } = rows[0];
    if (imei === null || devicePublicKey === null || imei !== auth.imei) {
      const message = imei === null ? `${seid} is not in any handset` : `${seid} is in another handset`;
      throw this.refuse({ status: HttpStatus.FORBIDDEN, reason: 'HANDSET_NOT_BOUND', message }, seid, auth);
    }
    const key = parseDevicePublicKey(devicePublicKey);
    const path = req.originalUrl.split('?')[0];
    const body = req.body === undefined ? '' : JSON.stringify(req.body);
    const invalid = key ? checkHandsetSignature({ seid, method: req.method, path, body }, auth, key) : undefined;
    if (!key || invalid) throw this.refuse(invalid ?? { status: HttpStatus.UNAUTHORIZED, reason: 'HANDSET_SIGNATURE_INVALID', message: 'unusable device key' }, seid, auth);

    // Consumed only once the signature is good: nobody can burn another handset's nonces.
    const fresh: unknown[] = await this.ds.query(
      `INSERT INTO handset_request_nonce (seid, nonce, expires_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING 1`,
      [seid, auth.nonce, new Date(auth.timestamp + maxAgeMs)],
    );
    if (fresh.length === 0) {
      throw this.refuse({ status: HttpStatus.UNAUTHORIZED, reason: 'HANDSET_REQUEST_REPLAYED', message: 'this signed request was already used' }, seid, auth);
    }
    await this.ds.query(`DELETE FROM handset_request_nonce WHERE expires_at < $1`, [new Date()]);
    req.handset = { seid, imei, session: auth.session, devicePublicKey };
    return true;
  }

  private refuse(refusal: Refusal, seid: string, auth?: HandsetAuthorization): DomainHttpException {
    this.refusals.inc({ reason: refusal.reason });
    this.log.info({ seid, imei: auth?.imei, reason: refusal.reason }, 'handset request refused');
    return new DomainHttpException(refusal.status, refusal.reason, refusal.message);
  }
}

/** The caller `HandsetAuthGuard` admitted. */
export const Handset = createParamDecorator((_: unknown, ctx: ExecutionContext): HandsetCaller => {
  const caller = ctx.switchToHttp().getRequest<HandsetRequest>().handset;
  if (!caller) throw new Error('HandsetAuthGuard did not run for this route');
  return caller;
});
