import {
  ApplicationLifeCycle,
  CardLifeCycle,
  DEFAULT_SCP03_I,
  DeleteCommand,
  extractLoadFileDataBlock,
  hex,
  InstallForInstallRequest,
  InstallForLoadRequest,
  isLocked,
  JpkiAid,
  JPKI_PIN_RULES,
  jpkiRoleOf,
  LoadFileLifeCycle,
  MakeSelectableRequest,
  parseCapLoadFile,
  parseInstallCommand,
  parseInstallParameters,
  parseLoadCommand,
  parseSecurityDomainParameters,
  Privilege,
  ResponseApdu,
  SCP03_ID,
  SecurityDomainLifeCycle,
  Sw,
} from '@jpki/globalplatform';
import { CardContext, fail, SecuredCommand } from './card-context';
import { JpkiStore, LoadFileRecord, RegistryRecord, SecurityDomainRecord } from './card-image';
import { freeMemory } from './memory';
import { SecurityDomainPackage } from './preloaded-content';
import { privilegesOf } from './registry';

const NO_ADDITIONAL_DATA = Buffer.from([0x00]);

export function install(ctx: CardContext, sd: SecurityDomainRecord, secured: SecuredCommand): ResponseApdu {
  const parsed = parseInstallCommand(secured.command);
  if (parsed.role === 'personalization') {
    return installForPersonalization(ctx, sd, hex(parsed.applicationAid));
  }
  requireCardContentManagement(ctx, sd);
  switch (parsed.role) {
    case 'load':
      return installForLoad(ctx, sd, parsed.request);
    case 'install':
      return installForInstall(ctx, sd, parsed.request, parsed.makeSelectable);
    case 'makeSelectable':
      return makeSelectable(ctx, sd, parsed.request);
    default:
      return fail(Sw.INCORRECT_P1P2, 'INSTALL [for extradition] is not supported by this card');
  }
}

/** Card content management needs Authorized Management (tokens for Delegated Management are not supported). */
function requireCardContentManagement(ctx: CardContext, sd: SecurityDomainRecord): void {
  if (ctx.image.cardLifeCycle !== CardLifeCycle.SECURED) {
    fail(Sw.CONDITIONS_OF_USE_NOT_SATISFIED, 'card content management needs the SECURED card state');
  }
  if (!privilegesOf(sd).has(Privilege.AuthorizedManagement)) {
    fail(Sw.SECURITY_STATUS_NOT_SATISFIED, 'security domain lacks Authorized Management');
  }
}

function rejectToken(token: Buffer | undefined): void {
  if (token && token.length > 0) {
    fail(Sw.WRONG_DATA, 'tokens (Delegated Management) are not supported');
  }
}

function requireNewAid(ctx: CardContext, aid: string): void {
  if (ctx.registry.find(aid)) {
    fail(Sw.WRONG_DATA, `AID ${aid} already in the registry`);
  }
}

function installForLoad(ctx: CardContext, sd: SecurityDomainRecord, request: InstallForLoadRequest): ResponseApdu {
  rejectToken(request.token);
  const loadFileAid = hex(request.loadFileAid);
  requireNewAid(ctx, loadFileAid);
  if (request.securityDomainAid && hex(request.securityDomainAid) !== sd.aid) {
    fail(Sw.SECURITY_STATUS_NOT_SATISFIED, 'a load file can only be associated with the loading SD');
  }
  ctx.channel.load = { loadFileAid, sdAid: sd.aid, nextBlock: 0, blocks: [] };
  return ResponseApdu.ok(NO_ADDITIONAL_DATA);
}

export function load(ctx: CardContext, sd: SecurityDomainRecord, secured: SecuredCommand): ResponseApdu {
  const pending = ctx.channel.load;
  if (!pending || pending.sdAid !== sd.aid) {
    fail(Sw.CONDITIONS_OF_USE_NOT_SATISFIED, 'LOAD without INSTALL [for load]');
  }
  const block = parseLoadCommand(secured.command);
  if (block.blockNumber !== pending.nextBlock) {
    ctx.channel.load = undefined;
    fail(Sw.INCORRECT_P1P2, `expected LOAD block ${pending.nextBlock}`);
  }
  pending.blocks.push(block.data);
  pending.nextBlock += 1;
  if (pending.blocks.reduce((sum, data) => sum + data.length, 0) > freeMemory(ctx.image)) {
    ctx.channel.load = undefined;
    fail(Sw.NOT_ENOUGH_MEMORY, 'load file exceeds the free memory');
  }
  if (!block.lastBlock) {
    return ResponseApdu.ok(NO_ADDITIONAL_DATA);
  }
  ctx.channel.load = undefined;
  const loadFileDataBlock = extractLoadFileDataBlock(Buffer.concat(pending.blocks));
  const cap = parseCapLoadFile(loadFileDataBlock);
  if (hex(cap.packageAid) !== pending.loadFileAid) {
    fail(Sw.WRONG_DATA, 'load file AID differs from INSTALL [for load]');
  }
  ctx.registry.add({
    kind: 'ELF',
    aid: pending.loadFileAid,
    lifeCycle: LoadFileLifeCycle.LOADED,
    associatedSd: sd.aid,
    version: hex(Buffer.from([cap.version.major, cap.version.minor])),
    modules: cap.appletAids.map((aid) => hex(aid)),
    image: hex(loadFileDataBlock),
    preloaded: false,
  });
  return ResponseApdu.ok(NO_ADDITIONAL_DATA);
}

/** An SD instantiates from its own load files or from the issuer's (ISD) load files, never another SP's. */
function usableLoadFile(ctx: CardContext, sd: SecurityDomainRecord, aid: string): LoadFileRecord {
  const loadFile = ctx.registry.find(aid);
  if (!loadFile || loadFile.kind !== 'ELF') {
    return fail(Sw.REFERENCED_DATA_NOT_FOUND, 'load file not found');
  }
  if (loadFile.associatedSd !== sd.aid && loadFile.associatedSd !== ctx.registry.isd().aid) {
    fail(Sw.SECURITY_STATUS_NOT_SATISFIED, "another security domain's load file");
  }
  return loadFile;
}

function installForInstall(ctx: CardContext, sd: SecurityDomainRecord, request: InstallForInstallRequest, selectable: boolean): ResponseApdu {
  rejectToken(request.token);
  const loadFile = usableLoadFile(ctx, sd, hex(request.loadFileAid));
  const module = hex(request.moduleAid);
  if (!loadFile.modules.includes(module)) {
    fail(Sw.REFERENCED_DATA_NOT_FOUND, 'module not in the load file');
  }
  const aid = hex(request.applicationAid);
  requireNewAid(ctx, aid);
  const parameters = request.installParameters ?? Buffer.alloc(0);
  const applicationSpecific = parseInstallParameters(parameters).applicationSpecific;
  const privileges = request.privileges;
  if (privileges.has(Privilege.CardReset) && !selectable) {
    fail(Sw.WRONG_DATA, 'Card Reset needs make selectable');
  }
  if (sd.kind === 'SSD' && !privileges.isSubsetOf(privilegesOf(sd))) {
    fail(Sw.SECURITY_STATUS_NOT_SATISFIED, 'an SSD cannot grant privileges it does not hold');
  }
  const isDomain = module === hex(SecurityDomainPackage.MODULE);
  if (privileges.has(Privilege.SecurityDomain) !== isDomain) {
    fail(Sw.WRONG_DATA, 'the Security Domain privilege and the SD module go together');
  }
  const common = {
    aid,
    associatedSd: sd.aid,
    privileges: hex(privileges.toBytes()),
    loadFile: loadFile.aid,
    module,
    installParameters: hex(parameters),
  };
  const record: RegistryRecord = isDomain
    ? {
        kind: 'SSD',
        ...common,
        lifeCycle: selectable ? SecurityDomainLifeCycle.SELECTABLE : SecurityDomainLifeCycle.INSTALLED,
        scpOptions: securityDomainScpOptions(applicationSpecific),
        keysets: [],
      }
    : {
        kind: 'APP',
        ...common,
        lifeCycle: selectable ? ApplicationLifeCycle.SELECTABLE : ApplicationLifeCycle.INSTALLED,
        jpki: module === hex(JpkiAid.MODULE) ? newJpkiStore(applicationSpecific) : null,
      };
  ctx.registry.add(record);
  return ResponseApdu.ok(NO_ADDITIONAL_DATA);
}

function securityDomainScpOptions(applicationSpecific: Buffer): number {
  const parameters = parseSecurityDomainParameters(applicationSpecific);
  if (parameters && parameters.scpId !== SCP03_ID) {
    fail(Sw.WRONG_DATA, 'this card only supports SCP03');
  }
  return parameters?.i ?? DEFAULT_SCP03_I;
}

function newJpkiStore(applicationSpecific: Buffer): JpkiStore {
  const role = jpkiRoleOf(applicationSpecific) ?? fail(Sw.WRONG_DATA, 'unknown JPKI key role in the install parameters');
  return { role, pinDigest: null, pinTriesRemaining: JPKI_PIN_RULES[role].tries, contentKey: null, privateKey: null, certificate: null };
}

function makeSelectable(ctx: CardContext, sd: SecurityDomainRecord, request: MakeSelectableRequest): ResponseApdu {
  rejectToken(request.token);
  const target = ctx.registry.find(hex(request.applicationAid));
  if (!target || target.kind === 'ELF' || target.kind === 'ISD') {
    fail(Sw.REFERENCED_DATA_NOT_FOUND, 'no such application');
  }
  if (target.associatedSd !== sd.aid) {
    fail(Sw.SECURITY_STATUS_NOT_SATISFIED, 'not the associated security domain');
  }
  if (target.lifeCycle !== ApplicationLifeCycle.INSTALLED) {
    fail(Sw.CONDITIONS_OF_USE_NOT_SATISFIED, 'only an INSTALLED application can be made selectable');
  }
  target.lifeCycle = ApplicationLifeCycle.SELECTABLE;
  return ResponseApdu.ok(NO_ADDITIONAL_DATA);
}

/** Starts a personalization session; an SSD can receive its first keyset this way, and only its first. */
function installForPersonalization(ctx: CardContext, sd: SecurityDomainRecord, aid: string): ResponseApdu {
  const target = ctx.registry.find(aid);
  if (!target || target.kind === 'ELF' || target.kind === 'ISD') {
    fail(Sw.REFERENCED_DATA_NOT_FOUND, 'no such application');
  }
  if (target.associatedSd !== sd.aid) {
    fail(Sw.SECURITY_STATUS_NOT_SATISFIED, 'not the associated security domain');
  }
  if (isLocked(target.lifeCycle) || (target.kind === 'SSD' && target.keysets.length > 0) || (target.kind === 'APP' && !target.jpki)) {
    fail(Sw.CONDITIONS_OF_USE_NOT_SATISFIED, 'application cannot be personalized now');
  }
  ctx.channel.personalization = { targetAid: aid, nextBlock: 0, blocks: [] };
  return ResponseApdu.ok(NO_ADDITIONAL_DATA);
}

/**
 * DELETE [card content] (GPC §9.5): the target's associated SD deletes it (no Global Delete on this card).
 * P2=80 also removes related objects: a load file's instances, or everything associated with an SSD.
 */
export function deleteCardContent(ctx: CardContext, sd: SecurityDomainRecord, request: Extract<DeleteCommand, { target: 'content' }>): ResponseApdu {
  requireCardContentManagement(ctx, sd);
  if (request.hasToken) {
    fail(Sw.WRONG_DATA, 'delete tokens are not supported');
  }
  const target = ctx.registry.find(hex(request.aid));
  if (!target) {
    fail(Sw.FILE_NOT_FOUND, 'no such AID');
  }
  if (target.associatedSd !== sd.aid || target.kind === 'ISD') {
    fail(Sw.SECURITY_STATUS_NOT_SATISFIED, 'not the associated security domain');
  }
  const doomed = deletionSet(ctx, sd, target, request.related);
  if (doomed.some((record) => record.kind === 'ELF' && record.preloaded)) {
    fail(Sw.CONDITIONS_OF_USE_NOT_SATISFIED, 'load files in ROM cannot be deleted');
  }
  const aids = new Set(doomed.map((record) => record.aid));
  for (const [number, channel] of ctx.channels) {
    if (number !== ctx.channelNumber && aids.has(channel.selected)) {
      fail(Sw.CONDITIONS_OF_USE_NOT_SATISFIED, `selected on logical channel ${number}`);
    }
  }
  ctx.registry.remove(aids);
  return ResponseApdu.ok(NO_ADDITIONAL_DATA);
}

function deletionSet(ctx: CardContext, sd: SecurityDomainRecord, target: RegistryRecord, related: boolean): RegistryRecord[] {
  const dependants =
    target.kind === 'ELF'
      ? ctx.registry.instancesOf(target.aid).flatMap((instance) => [instance, ...ctx.registry.subtree(instance.aid)])
      : ctx.registry.subtree(target.aid);
  if (dependants.length > 0 && !related) {
    fail(Sw.CONDITIONS_OF_USE_NOT_SATISFIED, 'other entries depend on it; use P2=80');
  }
  if (target.kind === 'ELF' && dependants.some((instance) => instance.associatedSd !== sd.aid && !ctx.registry.subtree(sd.aid).includes(instance))) {
    fail(Sw.SECURITY_STATUS_NOT_SATISFIED, "instances belong to another security domain");
  }
  return [target, ...dependants];
}
