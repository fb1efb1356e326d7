import { CommandApdu } from '../apdu/command-apdu';
import { SwError } from '../errors';
import { Sw } from '../status-words';
import { decodeTlvs, encodeTlv, findTlv } from '../tlv/ber-tlv';
import { requireAid } from './aid';
import { GP_CLA, Ins } from './instructions';

const RELATED_OBJECTS = 0x80;

const DeleteTag = {
  AID: 0x4f,
  KEY_ID: 0xd0,
  KVN: 0xd2,
  CONTROL_REFERENCE_TEMPLATE: 0xb6,
  TOKEN: 0x9e,
} as const;

export type DeleteCommand =
  | { readonly target: 'content'; readonly aid: Buffer; readonly related: boolean; readonly hasToken: boolean }
  | { readonly target: 'key'; readonly kvn?: number; readonly keyId?: number };

export function buildDeleteCardContent(aid: Buffer, related = false): CommandApdu {
  return new CommandApdu(GP_CLA, Ins.DELETE, 0x00, related ? RELATED_OBJECTS : 0x00, encodeTlv(DeleteTag.AID, aid), 256);
}

/** DELETE [key]: D2 alone deletes a whole keyset, D0 + D2 one key (GPC Table 11-24). */
export function buildDeleteKey(kvn: number, keyId?: number): CommandApdu {
  const keyIdTlv = keyId === undefined ? [] : [encodeTlv(DeleteTag.KEY_ID, Buffer.from([keyId]))];
  const data = Buffer.concat([...keyIdTlv, encodeTlv(DeleteTag.KVN, Buffer.from([kvn]))]);
  return new CommandApdu(GP_CLA, Ins.DELETE, 0x00, 0x00, data, 256);
}

export function parseDeleteCommand(command: CommandApdu): DeleteCommand {
  if (command.p1 !== 0x00 || (command.p2 & ~RELATED_OBJECTS) !== 0) {
    throw new SwError(Sw.INCORRECT_P1P2, 'DELETE P1 must be 00 and P2 00 or 80');
  }
  const tlvs = decodeTlvs(command.data);
  const aid = findTlv(tlvs, DeleteTag.AID);
  if (aid) {
    const hasToken = findTlv(tlvs, DeleteTag.TOKEN) !== undefined || findTlv(tlvs, DeleteTag.CONTROL_REFERENCE_TEMPLATE) !== undefined;
    return { target: 'content', aid: requireAid(aid.value), related: command.p2 === RELATED_OBJECTS, hasToken };
  }
  const kvn = singleByte(findTlv(tlvs, DeleteTag.KVN)?.value);
  const keyId = singleByte(findTlv(tlvs, DeleteTag.KEY_ID)?.value);
  if (kvn === undefined && keyId === undefined) {
    throw new SwError(Sw.WRONG_DATA, 'DELETE names neither an AID nor a key');
  }
  return { target: 'key', kvn, keyId };
}

function singleByte(value: Buffer | undefined): number | undefined {
  if (value === undefined) {
    return undefined;
  }
  if (value.length !== 1) {
    throw new SwError(Sw.WRONG_DATA, 'key reference must be one byte');
  }
  return value[0];
}
