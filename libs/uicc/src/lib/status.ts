import {
  CardLifeCycle,
  hex,
  isLocked,
  locked,
  parseSetStatus,
  Privilege,
  ResponseApdu,
  SecurityDomainLifeCycle,
  SetStatusScope,
  Sw,
  unlocked,
} from '@jpki/globalplatform';
import { CardContext, fail, SecuredCommand } from './card-context';
import { SecurityDomainRecord } from './card-image';
import { InstanceRecord, privilegesOf } from './registry';

const LOCK_REQUEST = 0x80;

/**
 * SET STATUS (GPC §11.10): the card state needs Card Lock / Card Terminate; an SD may set itself PERSONALIZED or
 * LOCKED; other entities can only be locked and unlocked by their associated SD (or a Global Lock SD).
 */
export function setStatus(ctx: CardContext, sd: SecurityDomainRecord, secured: SecuredCommand): ResponseApdu {
  const request = parseSetStatus(secured.command);
  if (request.scope === SetStatusScope.CARD) {
    return setCardState(ctx, sd, request.state);
  }
  const target = ctx.registry.find(hex(request.aid));
  if (!target) {
    fail(Sw.REFERENCED_DATA_NOT_FOUND, 'no such application or security domain');
  }
  if (target.kind === 'ELF' || target.kind === 'ISD') {
    fail(Sw.WRONG_DATA, 'the ISD and load files have no application life cycle');
  }
  if (request.scope === SetStatusScope.DOMAIN_AND_APPLICATIONS && target.kind !== 'SSD') {
    fail(Sw.WRONG_DATA, 'P1=60 names a security domain');
  }
  const withApplications = request.scope === SetStatusScope.DOMAIN_AND_APPLICATIONS;
  if (target.aid === sd.aid) {
    return setOwnState(ctx, sd, request.state, withApplications);
  }
  if (target.associatedSd !== sd.aid && !privilegesOf(sd).has(Privilege.GlobalLock)) {
    fail(Sw.SECURITY_STATUS_NOT_SATISFIED, 'not the associated security domain');
  }
  const lock = (request.state & LOCK_REQUEST) !== 0;
  if (lock === isLocked(target.lifeCycle)) {
    fail(Sw.WRONG_DATA, 'already in the requested state');
  }
  applyLock(ctx, target, lock, withApplications);
  return ResponseApdu.ok();
}

function setOwnState(ctx: CardContext, sd: SecurityDomainRecord, state: number, withApplications: boolean): ResponseApdu {
  if ((state & LOCK_REQUEST) !== 0) {
    applyLock(ctx, sd, true, withApplications);
    return ResponseApdu.ok();
  }
  if (state !== SecurityDomainLifeCycle.PERSONALIZED || sd.lifeCycle !== SecurityDomainLifeCycle.SELECTABLE || withApplications) {
    fail(Sw.WRONG_DATA, 'an SD may only set itself PERSONALIZED or LOCKED');
  }
  sd.lifeCycle = SecurityDomainLifeCycle.PERSONALIZED;
  return ResponseApdu.ok();
}

/** With P1=60 the whole sub-hierarchy follows; members already in the requested state are left alone. */
function applyLock(ctx: CardContext, target: InstanceRecord, lock: boolean, withApplications: boolean): void {
  const members = withApplications ? [target, ...ctx.registry.subtree(target.aid)] : [target];
  for (const member of members) {
    if (member.kind !== 'ELF') {
      member.lifeCycle = lock ? locked(member.lifeCycle) : unlocked(member.lifeCycle);
    }
  }
}

const CARD_TRANSITIONS: readonly { from: number; to: number; privilege: number }[] = [
  { from: CardLifeCycle.SECURED, to: CardLifeCycle.CARD_LOCKED, privilege: Privilege.CardLock },
  { from: CardLifeCycle.CARD_LOCKED, to: CardLifeCycle.SECURED, privilege: Privilege.CardLock },
  { from: CardLifeCycle.SECURED, to: CardLifeCycle.TERMINATED, privilege: Privilege.CardTerminate },
  { from: CardLifeCycle.CARD_LOCKED, to: CardLifeCycle.TERMINATED, privilege: Privilege.CardTerminate },
];

function setCardState(ctx: CardContext, sd: SecurityDomainRecord, state: number): ResponseApdu {
  const transition = CARD_TRANSITIONS.find((candidate) => candidate.from === ctx.image.cardLifeCycle && candidate.to === state);
  if (!transition) {
    fail(Sw.WRONG_DATA, 'card life cycle transition not allowed');
  }
  if (!privilegesOf(sd).has(transition.privilege)) {
    fail(Sw.SECURITY_STATUS_NOT_SATISFIED, 'missing Card Lock / Card Terminate privilege');
  }
  ctx.image.cardLifeCycle = state;
  return ResponseApdu.ok();
}
