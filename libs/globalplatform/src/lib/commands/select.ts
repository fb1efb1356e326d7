import { CommandApdu } from '../apdu/command-apdu';
import { claWithLogicalChannel } from '../apdu/cla';
import { EMPTY } from '../bytes';
import { Ins, ISO_CLA } from './instructions';

export const SelectP1 = { BY_NAME: 0x04 } as const;
export const ManageChannelP1 = { OPEN: 0x00, CLOSE: 0x80 } as const;

/** SELECT [by name]; without an AID the ISD is selected (GPC §11.9.2.3). */
export function buildSelect(aid: Buffer = EMPTY, logicalChannel = 0): CommandApdu {
  return new CommandApdu(claWithLogicalChannel(ISO_CLA, logicalChannel), Ins.SELECT, SelectP1.BY_NAME, 0x00, aid, 256);
}

export function buildManageChannelOpen(fromChannel = 0): CommandApdu {
  return new CommandApdu(claWithLogicalChannel(ISO_CLA, fromChannel), Ins.MANAGE_CHANNEL, ManageChannelP1.OPEN, 0x00, EMPTY, 1);
}

export function buildManageChannelClose(channel: number): CommandApdu {
  return new CommandApdu(claWithLogicalChannel(ISO_CLA, channel), Ins.MANAGE_CHANNEL, ManageChannelP1.CLOSE, channel);
}

export function buildGetResponse(logicalChannel: number, ne: number): CommandApdu {
  return new CommandApdu(claWithLogicalChannel(ISO_CLA, logicalChannel), Ins.GET_RESPONSE, 0x00, 0x00, EMPTY, ne);
}
