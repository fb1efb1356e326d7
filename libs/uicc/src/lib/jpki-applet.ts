import { constants, createHash, createPrivateKey, createPublicKey, privateEncrypt, timingSafeEqual } from 'node:crypto';
import {
  claIsProprietary,
  CommandApdu,
  encodePublicKeyTemplate,
  fromHex,
  hex,
  Ins,
  JPKI_CERTIFICATE_SFI,
  JPKI_PIN_RULES,
  JPKI_RSA_BITS,
  type JpkiPinRule,
  JpkiChangeReferenceP1,
  JpkiGenerateP1,
  JpkiResetRetryCounterP1,
  JpkiSignatureP1P2,
  ResponseApdu,
  SecurityLevelBit,
  splitPinPair,
  Sw,
  sw63Cx,
} from '@jpki/globalplatform';
import { isSha256DigestInfo } from '@jpki/pki';
import { CardContext, fail, requireSecurity, SecuredCommand } from './card-context';
import { ApplicationRecord, JpkiStore } from './card-image';
import { withSecureChannel } from './secure-channel-gate';

interface AppletCall {
  readonly ctx: CardContext;
  readonly app: ApplicationRecord;
  readonly store: JpkiStore;
  readonly secured: SecuredCommand;
}

type AppletHandler = (call: AppletCall) => ResponseApdu;

const ISO_COMMANDS: Readonly<Record<number, AppletHandler>> = {
  [Ins.VERIFY]: verify,
  [Ins.CHANGE_REFERENCE_DATA]: changeReferenceData,
  [Ins.RESET_RETRY_COUNTER]: resetRetryCounter,
  [Ins.GENERATE_ASYMMETRIC_KEY_PAIR]: generateKeyPair,
  [Ins.PERFORM_SECURITY_OPERATION]: sign,
  [Ins.READ_BINARY]: readCertificate,
};

/** Commands for a selected application; applets reach their SD's secure channel through the gate. */
export function processApplication(ctx: CardContext, app: ApplicationRecord, command: CommandApdu): ResponseApdu {
  const owner = ctx.registry.securityDomain(app.associatedSd ?? '');
  return withSecureChannel(ctx, owner, app.aid, command, (secured) => {
    if (!app.jpki) {
      return fail(Sw.INS_NOT_SUPPORTED, 'this applet has no behaviour in the simulator');
    }
    return dispatch({ ctx, app, store: app.jpki, secured });
  });
}

function dispatch(call: AppletCall): ResponseApdu {
  const { command } = call.secured;
  if (claIsProprietary(command.cla)) {
    return command.ins === Ins.PERFORM_SECURITY_OPERATION ? proofOfPossession(call) : fail(Sw.CLA_NOT_SUPPORTED);
  }
  const handler = ISO_COMMANDS[command.ins];
  return handler ? handler(call) : fail(Sw.INS_NOT_SUPPORTED);
}

function pinDigest(app: ApplicationRecord, pin: Buffer): string {
  return hex(createHash('sha256').update('JPKI-PIN').update(fromHex(app.aid)).update(pin).digest());
}

function pinMatches(call: AppletCall, pin: Buffer): boolean {
  const stored = call.store.pinDigest;
  return stored !== null && timingSafeEqual(fromHex(stored), fromHex(pinDigest(call.app, pin)));
}

/** The PIN (user authentication) or password (signing) of this instance's key. */
function ruleOf(store: JpkiStore): JpkiPinRule {
  return JPKI_PIN_RULES[store.role ?? 'user-authentication'];
}

/** Another instance's reference (the user-authentication PIN at the signing key) is not found here: 6A88. */
function requirePinReference(call: AppletCall): JpkiPinRule {
  const rule = ruleOf(call.store);
  if (call.secured.command.p2 !== rule.reference) {
    fail(Sw.REFERENCED_DATA_NOT_FOUND, 'not the reference data of this key');
  }
  return rule;
}

function requireUsablePin(store: JpkiStore): void {
  if (!store.pinDigest) {
    fail(Sw.REFERENCE_DATA_NOT_USABLE, 'no PIN set');
  }
  if (store.pinTriesRemaining === 0) {
    fail(Sw.AUTHENTICATION_METHOD_BLOCKED, 'PIN blocked');
  }
}

/** Malformed reference data is refused before the counter: it cannot be this key's PIN or password. */
function pinData(data: Buffer, rule: JpkiPinRule): Buffer {
  if (!rule.pattern.test(data.toString('latin1'))) {
    fail(Sw.WRONG_DATA, rule.description);
  }
  return data;
}

/** Checks the PIN; failures are returned (not thrown) so that the decremented counter is persisted. */
function checkPin(call: AppletCall, pin: Buffer): ResponseApdu | undefined {
  if (pinMatches(call, pin)) {
    call.store.pinTriesRemaining = ruleOf(call.store).tries;
    return undefined;
  }
  call.store.pinTriesRemaining -= 1;
  call.ctx.channel.pinVerified = false;
  const tries = call.store.pinTriesRemaining;
  return ResponseApdu.status(tries === 0 ? Sw.AUTHENTICATION_METHOD_BLOCKED : sw63Cx(tries));
}

function verify(call: AppletCall): ResponseApdu {
  const { command } = call.secured;
  if (command.p1 !== 0x00) {
    fail(Sw.INCORRECT_P1P2);
  }
  const rule = requirePinReference(call);
  requireUsablePin(call.store);
  if (command.data.length === 0) {
    return call.ctx.channel.pinVerified ? ResponseApdu.ok() : ResponseApdu.status(sw63Cx(call.store.pinTriesRemaining));
  }
  const failure = checkPin(call, pinData(command.data, rule));
  if (failure) {
    return failure;
  }
  call.ctx.channel.pinVerified = true;
  return ResponseApdu.ok();
}

function changeReferenceData(call: AppletCall): ResponseApdu {
  const { command } = call.secured;
  const rule = requirePinReference(call);
  if (command.p1 === JpkiChangeReferenceP1.SET_INITIAL) {
    if (call.store.pinDigest) {
      fail(Sw.CONDITIONS_OF_USE_NOT_SATISFIED, 'PIN already set');
    }
    setPin(call, pinData(command.data, rule));
    return ResponseApdu.ok();
  }
  if (command.p1 !== JpkiChangeReferenceP1.CHANGE) {
    fail(Sw.INCORRECT_P1P2);
  }
  requireUsablePin(call.store);
  const [current, next] = splitPinPair(command.data, rule) ?? fail(Sw.WRONG_DATA, rule.description);
  const failure = checkPin(call, pinData(current, rule));
  if (failure) {
    return failure;
  }
  setPin(call, pinData(next, rule));
  return ResponseApdu.ok();
}

function setPin(call: AppletCall, pin: Buffer): void {
  call.store.pinDigest = pinDigest(call.app, pin);
  call.store.pinTriesRemaining = ruleOf(call.store).tries;
}

/** Unblocking is the SP's business: only through the associated SD's secure channel. */
function resetRetryCounter(call: AppletCall): ResponseApdu {
  const { command } = call.secured;
  requireSecurity(call.secured, SecurityLevelBit.C_MAC);
  const rule = requirePinReference(call);
  if (command.p1 === JpkiResetRetryCounterP1.NEW_PIN) {
    setPin(call, pinData(command.data, rule));
    return ResponseApdu.ok();
  }
  if (command.p1 !== JpkiResetRetryCounterP1.RESET_ONLY || command.data.length > 0) {
    fail(Sw.INCORRECT_P1P2);
  }
  if (!call.store.pinDigest) {
    fail(Sw.REFERENCE_DATA_NOT_USABLE, 'no PIN set');
  }
  call.store.pinTriesRemaining = rule.tries;
  return ResponseApdu.ok();
}

/** On-card generation replaces any key and drops the certificate; the private key never leaves the store. */
function generateKeyPair(call: AppletCall): ResponseApdu {
  const { command } = call.secured;
  if (command.p2 !== 0x00) {
    fail(Sw.INCORRECT_P1P2);
  }
  if (command.p1 === JpkiGenerateP1.READ_PUBLIC_KEY) {
    return ResponseApdu.ok(encodePublicKeyTemplate(createPublicKey(privateKeyOf(call.store))));
  }
  if (command.p1 !== JpkiGenerateP1.GENERATE) {
    fail(Sw.INCORRECT_P1P2);
  }
  requireSecurity(call.secured, SecurityLevelBit.C_MAC);
  const pair = call.ctx.keyPairFactory();
  if (pair.privateKey.asymmetricKeyDetails?.modulusLength !== JPKI_RSA_BITS) {
    fail(Sw.NO_PRECISE_DIAGNOSIS, 'key pair factory did not produce RSA-2048');
  }
  call.store.privateKey = hex(pair.privateKey.export({ format: 'der', type: 'pkcs8' }));
  call.store.certificate = null;
  return ResponseApdu.ok(encodePublicKeyTemplate(pair.publicKey));
}

function privateKeyOf(store: JpkiStore) {
  if (!store.privateKey) {
    fail(Sw.REFERENCE_DATA_NOT_USABLE, 'no key pair');
  }
  return createPrivateKey({ key: fromHex(store.privateKey), format: 'der', type: 'pkcs8' });
}

function requireDigestInfo(command: CommandApdu): Buffer {
  if (command.p1 !== JpkiSignatureP1P2.P1 || command.p2 !== JpkiSignatureP1P2.P2) {
    fail(Sw.INCORRECT_P1P2);
  }
  if (!isSha256DigestInfo(command.data)) {
    fail(Sw.WRONG_DATA, 'expected a SHA-256 DigestInfo');
  }
  return command.data;
}

function pkcs1Sign(store: JpkiStore, digestInfo: Buffer): ResponseApdu {
  return ResponseApdu.ok(privateEncrypt({ key: privateKeyOf(store), padding: constants.RSA_PKCS1_PADDING }, digestInfo));
}

/** The user's signature: key (6984), certificate (6985) and a VERIFY in this selection (6982) are required. */
function sign(call: AppletCall): ResponseApdu {
  const digestInfo = requireDigestInfo(call.secured.command);
  privateKeyOf(call.store);
  if (!call.store.certificate) {
    fail(Sw.CONDITIONS_OF_USE_NOT_SATISFIED, 'no certificate yet');
  }
  if (!call.ctx.channel.pinVerified) {
    fail(Sw.SECURITY_STATUS_NOT_SATISFIED, 'PIN not verified');
  }
  return pkcs1Sign(call.store, digestInfo);
}

/** PIN-less signature for the CSR, only for the SP (secure channel) and only until a certificate is written. */
function proofOfPossession(call: AppletCall): ResponseApdu {
  const digestInfo = requireDigestInfo(call.secured.command);
  requireSecurity(call.secured, SecurityLevelBit.C_MAC);
  privateKeyOf(call.store);
  if (call.store.certificate) {
    fail(Sw.CONDITIONS_OF_USE_NOT_SATISFIED, 'key already certified');
  }
  return pkcs1Sign(call.store, digestInfo);
}

/** READ BINARY of the certificate EF: SFI 0A in P1 selects it, later reads use a 15-bit offset. */
function readCertificate(call: AppletCall): ResponseApdu {
  const { command } = call.secured;
  if (!call.store.certificate) {
    fail(Sw.CONDITIONS_OF_USE_NOT_SATISFIED, 'no certificate');
  }
  const certificate = fromHex(call.store.certificate);
  const bySfi = (command.p1 & 0x80) !== 0;
  if (bySfi && command.p1 !== (0x80 | JPKI_CERTIFICATE_SFI)) {
    fail(Sw.FILE_NOT_FOUND, 'unknown short EF identifier');
  }
  if (!bySfi && !call.ctx.channel.certificateCurrent) {
    fail(Sw.COMMAND_NOT_ALLOWED, 'no current EF');
  }
  const offset = bySfi ? command.p2 : (command.p1 << 8) | command.p2;
  if (offset >= certificate.length) {
    fail(Sw.WRONG_P1P2, 'offset beyond the end of the certificate');
  }
  call.ctx.channel.certificateCurrent = true;
  return ResponseApdu.ok(certificate.subarray(offset, offset + (command.ne ?? 256)));
}
