import {
  claIsProprietary,
  CommandApdu,
  encodeExtendedCardResources,
  encodeKeyInformationTemplate,
  encodePutKeyResponse,
  encodeRegistryEntry,
  encodeTlv,
  DataObject,
  decodeTlv,
  fromHex,
  GetStatusScope,
  hex,
  Ins,
  isScp03Kvn,
  KeyType,
  parseDeleteCommand,
  parseGetStatus,
  parsePutKey,
  Privilege,
  ResponseApdu,
  Scp03KeyId,
  Sw,
} from '@jpki/globalplatform';
import { CardContext, fail, requireManagementLevel, SecuredCommand } from './card-context';
import { KeysetRecord, RegistryRecord, SecurityDomainRecord } from './card-image';
import { deleteCardContent, install, load } from './card-content';
import { FREE_VOLATILE_MEMORY, freeMemory } from './memory';
import { storeData } from './personalization';
import { newKeysetRecord } from './keysets';
import { privilegesOf } from './registry';
import { sessionKeyset, withSecureChannel } from './secure-channel-gate';
import { setStatus } from './status';

type SdHandler = (ctx: CardContext, sd: SecurityDomainRecord, secured: SecuredCommand) => ResponseApdu;

const MANAGEMENT_COMMANDS: Readonly<Record<number, SdHandler>> = {
  [Ins.INSTALL]: install,
  [Ins.LOAD]: load,
  [Ins.DELETE]: deleteCommand,
  [Ins.PUT_KEY]: putKey,
  [Ins.SET_STATUS]: setStatus,
  [Ins.GET_STATUS]: getStatus,
  [Ins.STORE_DATA]: storeData,
};

const oid = (value: string) => encodeTlv(0x06, fromHex(value));

/** GP Card Recognition Data (GPC Annex H.2): a GP card, GP 2.3.1, SCP03 with i=70. */
const CARD_DATA = encodeTlv(
  DataObject.CARD_DATA,
  encodeTlv(
    0x73,
    Buffer.concat([oid('2A864886FC6B01'), encodeTlv(0x60, oid('2A864886FC6B02020301')), encodeTlv(0x64, oid('2A864886FC6B040370'))]),
  ),
);

/** Larger GET STATUS answers are split with 6310, leaving room for C-ENC padding and the R-MAC. */
const MAX_GET_STATUS_DATA = 200;

export function processSecurityDomain(ctx: CardContext, sd: SecurityDomainRecord, command: CommandApdu): ResponseApdu {
  return withSecureChannel(ctx, sd, sd.aid, command, (secured) => dispatch(ctx, sd, secured));
}

function dispatch(ctx: CardContext, sd: SecurityDomainRecord, secured: SecuredCommand): ResponseApdu {
  const { command } = secured;
  if (command.ins === Ins.GET_DATA) {
    return getData(ctx, sd, command);
  }
  const handler = MANAGEMENT_COMMANDS[command.ins];
  if (!handler) {
    fail(Sw.INS_NOT_SUPPORTED);
  }
  if (!claIsProprietary(command.cla)) {
    fail(Sw.CLA_NOT_SUPPORTED);
  }
  requireManagementLevel(secured);
  return handler(ctx, sd, secured);
}

/** GET DATA needs no secure channel and never returns key values (E0 is key information only). */
function getData(ctx: CardContext, sd: SecurityDomainRecord, command: CommandApdu): ResponseApdu {
  const tag = (command.p1 << 8) | command.p2;
  const object = dataObject(ctx, sd, tag);
  return ResponseApdu.ok(claIsProprietary(command.cla) ? object : decodeTlv(object).value);
}

function dataObject(ctx: CardContext, sd: SecurityDomainRecord, tag: number): Buffer {
  switch (tag) {
    case DataObject.CARD_DATA:
      return CARD_DATA;
    case DataObject.KEY_INFORMATION_TEMPLATE:
      return encodeKeyInformationTemplate(sd.keysets.flatMap(keyInformation));
    case DataObject.EXTENDED_CARD_RESOURCES:
      return encodeExtendedCardResources({
        installedApplications: ctx.registry.instances().filter((record) => record.kind === 'APP').length,
        freeNonVolatileMemory: freeMemory(ctx.image),
        freeVolatileMemory: FREE_VOLATILE_MEMORY,
      });
    default:
      return fail(Sw.REFERENCED_DATA_NOT_FOUND, `no data object ${tag.toString(16)}`);
  }
}

function keyInformation(keyset: KeysetRecord) {
  const keys = [
    [Scp03KeyId.enc, keyset.enc],
    [Scp03KeyId.mac, keyset.mac],
    [Scp03KeyId.dek, keyset.dek],
  ] as const;
  return keys
    .filter(([, value]) => value !== '')
    .map(([keyId, value]) => ({ keyId, kvn: keyset.kvn, type: KeyType.AES, length: value.length / 2 }));
}

/** PUT KEY on the SD's own keysets, key blocks under the DEK of the current session; a new keyset restarts its counter. */
function putKey(ctx: CardContext, sd: SecurityDomainRecord, secured: SecuredCommand): ResponseApdu {
  const { replaceKvn, keys } = parsePutKey(secured.command, fromHex(sessionKeyset(ctx, sd).dek));
  if (!isScp03Kvn(keys.kvn)) {
    fail(Sw.WRONG_DATA, 'SCP03 keysets use KVN 30-3F');
  }
  const clash = sd.keysets.find((keyset) => keyset.kvn === keys.kvn && keyset.kvn !== replaceKvn);
  if (clash) {
    fail(Sw.WRONG_DATA, `KVN ${keys.kvn.toString(16)} already exists`);
  }
  if (replaceKvn === 0) {
    sd.keysets.push(newKeysetRecord(keys));
    return ResponseApdu.ok(encodePutKeyResponse(keys));
  }
  const index = sd.keysets.findIndex((keyset) => keyset.kvn === replaceKvn);
  if (index < 0) {
    fail(Sw.REFERENCED_DATA_NOT_FOUND, `no keyset ${replaceKvn.toString(16)} to replace`);
  }
  if (sd.keysets[index].enc.length !== keys.keyLength * 2) {
    fail(Sw.WRONG_DATA, 'a replacement keyset keeps the key length');
  }
  sd.keysets[index] = newKeysetRecord(keys);
  return ResponseApdu.ok(encodePutKeyResponse(keys));
}

function deleteCommand(ctx: CardContext, sd: SecurityDomainRecord, secured: SecuredCommand): ResponseApdu {
  const request = parseDeleteCommand(secured.command);
  if (request.target === 'content') {
    return deleteCardContent(ctx, sd, request);
  }
  if (request.kvn === undefined) {
    fail(Sw.WRONG_DATA, 'DELETE [key] needs the KVN (D2)');
  }
  const keyset = sd.keysets.find((candidate) => candidate.kvn === request.kvn);
  if (!keyset) {
    fail(Sw.REFERENCED_DATA_NOT_FOUND, 'no such keyset');
  }
  if (request.keyId === undefined) {
    sd.keysets.splice(sd.keysets.indexOf(keyset), 1);
    return ResponseApdu.ok(Buffer.from([0x00]));
  }
  const purpose = (['enc', 'mac', 'dek'] as const).find((name) => Scp03KeyId[name] === request.keyId);
  if (!purpose || keyset[purpose] === '') {
    fail(Sw.REFERENCED_DATA_NOT_FOUND, 'no such key');
  }
  keyset[purpose] = '';
  return ResponseApdu.ok(Buffer.from([0x00]));
}

/** GET STATUS sees the SD's own sub-hierarchy, or the whole registry with the Global Registry privilege. */
function getStatus(ctx: CardContext, sd: SecurityDomainRecord, secured: SecuredCommand): ResponseApdu {
  const request = parseGetStatus(secured.command);
  if (request.next) {
    const pending = ctx.channel.getStatus;
    return pending?.scope === request.scope ? nextStatusPage(ctx) : fail(Sw.CONDITIONS_OF_USE_NOT_SATISFIED);
  }
  const global = privilegesOf(sd).has(Privilege.GlobalRegistry);
  if (request.scope === GetStatusScope.ISSUER_SECURITY_DOMAIN && !global) {
    fail(Sw.SECURITY_STATUS_NOT_SATISFIED, 'only the ISD or a Global Registry SD may read the ISD status');
  }
  const visible = global ? ctx.registry.all() : ctx.registry.subtree(sd.aid);
  const prefix = hex(request.aidPrefix);
  const entries = statusEntries(ctx, visible, request.scope)
    .filter((entry) => entry.aid.startsWith(prefix))
    .map((entry) => entry.encoded);
  if (entries.length === 0) {
    fail(Sw.REFERENCED_DATA_NOT_FOUND, 'no matching registry entry');
  }
  ctx.channel.getStatus = { scope: request.scope, remaining: entries };
  return nextStatusPage(ctx);
}

function nextStatusPage(ctx: CardContext): ResponseApdu {
  const pending = ctx.channel.getStatus;
  const remaining = pending?.remaining ?? [];
  let size = 0;
  let count = 0;
  while (count < remaining.length && (count === 0 || size + remaining[count].length <= MAX_GET_STATUS_DATA)) {
    size += remaining[count].length;
    count += 1;
  }
  const page = Buffer.concat(remaining.slice(0, count));
  if (pending && count < remaining.length) {
    pending.remaining = remaining.slice(count);
    return new ResponseApdu(page, Sw.MORE_DATA_AVAILABLE);
  }
  ctx.channel.getStatus = undefined;
  return ResponseApdu.ok(page);
}

function statusEntries(ctx: CardContext, visible: readonly RegistryRecord[], scope: number): { aid: string; encoded: Buffer }[] {
  const isd = ctx.registry.isd();
  switch (scope) {
    case GetStatusScope.ISSUER_SECURITY_DOMAIN:
      return [entry(isd.aid, { kind: 'ISD', aid: fromHex(isd.aid), lifeCycle: ctx.image.cardLifeCycle, privileges: privilegesOf(isd) })];
    case GetStatusScope.APPLICATIONS:
      return visible.flatMap((record) =>
        record.kind === 'APP' || record.kind === 'SSD'
          ? [
              entry(record.aid, {
                kind: record.kind,
                aid: fromHex(record.aid),
                lifeCycle: record.lifeCycle,
                privileges: privilegesOf(record),
                loadFileAid: fromHex(record.loadFile),
                associatedSdAid: record.associatedSd ? fromHex(record.associatedSd) : undefined,
              }),
            ]
          : [],
      );
    default:
      return visible.flatMap((record) =>
        record.kind === 'ELF'
          ? [
              entry(record.aid, {
                kind: 'ELF',
                aid: fromHex(record.aid),
                lifeCycle: record.lifeCycle,
                version: fromHex(record.version),
                modules: scope === GetStatusScope.LOAD_FILES_AND_MODULES ? record.modules.map((m) => fromHex(m)) : [],
                associatedSdAid: record.associatedSd ? fromHex(record.associatedSd) : undefined,
              }),
            ]
          : [],
      );
  }
}

function entry(aid: string, registryEntry: Parameters<typeof encodeRegistryEntry>[0]): { aid: string; encoded: Buffer } {
  return { aid, encoded: encodeRegistryEntry(registryEntry) };
}

/** File Control Information of a Security Domain (GPC Table 11-82). */
export function securityDomainFci(sd: SecurityDomainRecord): Buffer {
  return encodeTlv(0x6f, [
    { tag: 0x84, value: fromHex(sd.aid) },
    { tag: 0xa5, value: encodeTlv(0x9f65, Buffer.from([0xff])) },
  ]);
}
