import { CommandApdu } from '../apdu/command-apdu';
import { EMPTY } from '../bytes';
import { SwError } from '../errors';
import { Sw } from '../status-words';
import { decodeTlvs, encodeTlv, findTlv } from '../tlv/ber-tlv';
import { GP_CLA, Ins } from './instructions';
import { GetStatusScope } from '../registry/registry-entry';

/** SET STATUS P1 status types (GPC Table 11-86). */
export const SetStatusScope = {
  CARD: 0x80,
  APPLICATION: 0x40,
  DOMAIN_AND_APPLICATIONS: 0x60,
} as const;

const GET_STATUS_TAG_FORMAT = 0x02;
const GET_STATUS_NEXT = 0x01;

export interface SetStatusCommand {
  readonly scope: number;
  readonly aid: Buffer;
  readonly state: number;
}

export interface GetStatusCommand {
  readonly scope: number;
  readonly next: boolean;
  readonly aidPrefix: Buffer;
}

export function buildSetStatus(scope: number, state: number, aid: Buffer = EMPTY): CommandApdu {
  return new CommandApdu(GP_CLA, Ins.SET_STATUS, scope, state, aid);
}

export function parseSetStatus(command: CommandApdu): SetStatusCommand {
  if (!Object.values(SetStatusScope).some((scope) => scope === command.p1)) {
    throw new SwError(Sw.INCORRECT_P1P2, `SET STATUS P1 ${command.p1.toString(16)} not supported`);
  }
  return { scope: command.p1, aid: command.data, state: command.p2 };
}

export function buildGetStatus(scope: number, options: { next?: boolean; aidPrefix?: Buffer } = {}): CommandApdu {
  const p2 = GET_STATUS_TAG_FORMAT | (options.next ? GET_STATUS_NEXT : 0);
  return new CommandApdu(GP_CLA, Ins.GET_STATUS, scope, p2, encodeTlv(0x4f, options.aidPrefix ?? EMPTY), 256);
}

/** Only the tag-format response (P2 b2 = 1) is supported; the tag list (5C) is ignored as GPC allows. */
export function parseGetStatus(command: CommandApdu): GetStatusCommand {
  const scopes: readonly number[] = Object.values(GetStatusScope);
  if (!scopes.includes(command.p1) || (command.p2 & ~(GET_STATUS_TAG_FORMAT | GET_STATUS_NEXT)) !== 0 || (command.p2 & GET_STATUS_TAG_FORMAT) === 0) {
    throw new SwError(Sw.INCORRECT_P1P2, 'GET STATUS supports P1 80/40/20/10 with P2 02/03');
  }
  const aid = findTlv(decodeTlvs(command.data), 0x4f);
  if (!aid) {
    throw new SwError(Sw.WRONG_DATA, 'GET STATUS needs the 4F search criterion');
  }
  return { scope: command.p1, next: (command.p2 & GET_STATUS_NEXT) !== 0, aidPrefix: aid.value };
}
