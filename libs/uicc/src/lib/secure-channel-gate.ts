import {
  claHasSecureMessaging,
  claIsProprietary,
  CommandApdu,
  fromHex,
  Ins,
  isLocked,
  ResponseApdu,
  Scp03CardSession,
  SEQUENCE_COUNTER_MAX,
  sModeOf,
  Sw,
} from '@jpki/globalplatform';
import { CardContext, fail, SecuredCommand } from './card-context';
import { KeysetRecord, SecurityDomainRecord } from './card-image';
import { keysetComplete, toKeySet } from './keysets';

export type SecuredHandler = (secured: SecuredCommand) => ResponseApdu;

/**
 * SCP03 for a selected SD, or for an applet using its associated SD's channel (GPC §10.3, indirect handling):
 * INITIALIZE UPDATE / EXTERNAL AUTHENTICATE are answered here, every other command is unwrapped before the
 * handler runs and its response wrapped after. Security errors propagate as 6982 with the session aborted.
 */
export function withSecureChannel(
  ctx: CardContext,
  owner: SecurityDomainRecord,
  invokerAid: string,
  command: CommandApdu,
  handler: SecuredHandler,
): ResponseApdu {
  if (claIsProprietary(command.cla) && command.ins === Ins.INITIALIZE_UPDATE) {
    return initializeUpdate(ctx, owner, invokerAid, command);
  }
  if (claIsProprietary(command.cla) && command.ins === Ins.EXTERNAL_AUTHENTICATE) {
    return externalAuthenticate(ctx, owner, command);
  }
  const state = ctx.channel.secureChannel;
  if (state?.session.state === 'initialized') {
    ctx.channel.secureChannel = undefined;
  }
  if (state?.session.isAuthenticated) {
    const plain = state.session.unwrapCommand(command);
    const response = handler({ command: plain, securityLevel: state.session.securityLevel, authenticated: true });
    return state.session.wrapResponse(response);
  }
  if (claHasSecureMessaging(command.cla)) {
    fail(Sw.SECURITY_STATUS_NOT_SATISFIED, 'secure messaging without a secure channel');
  }
  return handler({ command, securityLevel: 0, authenticated: false });
}

/** The keyset of the session open on this channel (its DEK decrypts key data). */
export function sessionKeyset(ctx: CardContext, sd: SecurityDomainRecord): KeysetRecord {
  const state = ctx.channel.secureChannel;
  const keyset = sd.keysets.find((candidate) => candidate.kvn === state?.kvn && state.sdAid === sd.aid);
  return keyset && keysetComplete(keyset) ? keyset : fail(Sw.CONDITIONS_OF_USE_NOT_SATISFIED, 'session keyset is gone');
}

function initializeUpdate(ctx: CardContext, owner: SecurityDomainRecord, invokerAid: string, command: CommandApdu): ResponseApdu {
  Object.assign(ctx.channel, { secureChannel: undefined, personalization: undefined, load: undefined });
  if (isLocked(owner.lifeCycle)) {
    fail(Sw.CONDITIONS_OF_USE_NOT_SATISFIED, 'security domain is locked');
  }
  if (command.p2 !== 0x00) {
    fail(Sw.INCORRECT_P1P2);
  }
  const sMode = sModeOf(owner.scpOptions);
  if (command.data.length !== sMode) {
    fail(Sw.WRONG_LENGTH, `host challenge must be ${sMode} bytes: this security domain uses S${sMode} mode`);
  }
  const keyset = command.p1 === 0 ? owner.keysets[0] : owner.keysets.find((candidate) => candidate.kvn === command.p1);
  if (!keyset || !keysetComplete(keyset)) {
    fail(Sw.REFERENCED_DATA_NOT_FOUND, 'keyset not found or incomplete');
  }
  if (keyset.failedAuthentications >= ctx.image.maxFailedAuthentications) {
    fail(Sw.AUTHENTICATION_METHOD_BLOCKED, 'keyset blocked after repeated failed authentications');
  }
  if (keyset.sequenceCounter >= SEQUENCE_COUNTER_MAX) {
    fail(Sw.CONDITIONS_OF_USE_NOT_SATISFIED, 'sequence counter exhausted');
  }
  keyset.sequenceCounter += 1;
  const { session, response } = Scp03CardSession.initializeUpdate({
    keys: toKeySet(keyset),
    kdd: fromHex(ctx.image.kdd),
    sequenceCounter: keyset.sequenceCounter,
    aid: fromHex(invokerAid),
    hostChallenge: command.data,
    i: owner.scpOptions,
  });
  ctx.channel.secureChannel = { session, sdAid: owner.aid, kvn: keyset.kvn };
  return ResponseApdu.ok(response);
}

/** Failures are returned, not thrown, so that the failed-authentication count is committed. */
function externalAuthenticate(ctx: CardContext, owner: SecurityDomainRecord, command: CommandApdu): ResponseApdu {
  const pending = ctx.channel.secureChannel;
  ctx.channel.secureChannel = undefined;
  const keyset = owner.keysets.find((candidate) => candidate.kvn === pending?.kvn);
  if (!pending || pending.session.state !== 'initialized' || pending.sdAid !== owner.aid || !keyset) {
    fail(Sw.CONDITIONS_OF_USE_NOT_SATISFIED, 'EXTERNAL AUTHENTICATE without INITIALIZE UPDATE');
  }
  const sw = pending.session.externalAuthenticate(command);
  if (sw === Sw.OK) {
    keyset.failedAuthentications = 0;
    ctx.channel.secureChannel = pending;
  } else if (sw === Sw.VERIFICATION_FAILED || sw === Sw.SECURITY_STATUS_NOT_SATISFIED) {
    keyset.failedAuthentications += 1;
  }
  return ResponseApdu.status(sw);
}
