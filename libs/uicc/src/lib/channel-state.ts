import { Scp03CardSession } from '@jpki/globalplatform';

export const MAX_CHANNELS = 4;

export interface SecureChannelState {
  readonly session: Scp03CardSession;
  /** The SD whose keyset the session uses. */
  readonly sdAid: string;
  readonly kvn: number;
}

/** STORE DATA blocks collected for the application named by INSTALL [for personalization]. */
export interface PersonalizationState {
  readonly targetAid: string;
  nextBlock: number;
  readonly blocks: Buffer[];
  flags?: string;
}

export interface LoadState {
  readonly loadFileAid: string;
  readonly sdAid: string;
  nextBlock: number;
  readonly blocks: Buffer[];
}

export interface PendingResponse {
  readonly data: Buffer;
  readonly sw: number;
}

/** Transient state of one logical channel; none of it survives a reset or reaches the card image. */
export interface ChannelState {
  selected: string;
  secureChannel?: SecureChannelState;
  personalization?: PersonalizationState;
  load?: LoadState;
  getStatus?: { readonly scope: number; remaining: Buffer[] };
  pendingResponse?: PendingResponse;
  pinVerified: boolean;
  certificateCurrent: boolean;
}

export function newChannel(selected: string): ChannelState {
  return { selected, pinVerified: false, certificateCurrent: false };
}

/** A new application session (SELECT): ends the secure channel and every multi-command process on the channel. */
export function startApplicationSession(channel: ChannelState, selected: string): void {
  Object.assign(channel, { secureChannel: undefined, personalization: undefined, load: undefined, getStatus: undefined });
  channel.selected = selected;
  channel.pinVerified = false;
  channel.certificateCurrent = false;
}
