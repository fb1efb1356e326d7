import { CommandApdu, hasSecurity, SecurityLevelBit, Sw, SwError } from '@jpki/globalplatform';
import { CardImage } from './card-image';
import { ChannelState } from './channel-state';
import { RsaKeyPairFactory } from './key-pair-factory';
import { Registry } from './registry';

/** What a command handler may touch: the draft image (committed only if the handler returns) and the channels. */
export interface CardContext {
  readonly image: CardImage;
  readonly registry: Registry;
  readonly channel: ChannelState;
  readonly channelNumber: number;
  readonly channels: Map<number, ChannelState>;
  readonly keyPairFactory: RsaKeyPairFactory;
}

/** A command after the secure channel gate: plain, with the session's Current Security Level. */
export interface SecuredCommand {
  readonly command: CommandApdu;
  readonly securityLevel: number;
  readonly authenticated: boolean;
}

export function requireSecurity(secured: SecuredCommand, required: number): void {
  if (!secured.authenticated || !hasSecurity(secured.securityLevel, required)) {
    throw new SwError(Sw.SECURITY_STATUS_NOT_SATISFIED, 'security level too low for this command');
  }
}

/** Card management needs an authenticated session with at least C-MAC (GPC Table 11-2 plus our integrity floor). */
export function requireManagementLevel(secured: SecuredCommand): void {
  requireSecurity(secured, SecurityLevelBit.C_MAC);
}

export function fail(sw: number, message?: string): never {
  throw new SwError(sw, message);
}
