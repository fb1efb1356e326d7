import { CommandApdu } from '../apdu/command-apdu';
import { fromHex, hex } from '../bytes';
import { isLocked, isSelectableState, locked, unlocked } from '../registry/life-cycle';
import { Privilege, Privileges } from '../registry/privileges';
import { encodeRegistryEntry, GetStatusScope, parseGetStatusResponse } from '../registry/registry-entry';
import { Sw } from '../status-words';
import { buildDeleteCardContent, buildDeleteKey, parseDeleteCommand } from './delete';
import {
  buildGetData,
  DataObject,
  encodeExtendedCardResources,
  encodeKeyInformationTemplate,
  parseExtendedCardResources,
  parseKeyInformationTemplate,
} from './get-data';
import {
  buildInstallForExtradition,
  buildInstallForInstall,
  buildInstallForLoad,
  buildInstallForMakeSelectable,
  buildInstallForPersonalization,
  buildInstallParameters,
  parseInstallCommand,
  parseInstallParameters,
  parseSecurityDomainParameters,
} from './install';
import { buildLoadCommands, extractLoadFileDataBlock, parseLoadCommand } from './load';
import { buildCapLoadFile, parseCapLoadFile } from './load-file';
import { buildManageChannelClose, buildManageChannelOpen, buildSelect } from './select';
import { buildGetStatus, buildSetStatus, parseGetStatus, parseSetStatus, SetStatusScope } from './status';
import { buildStoreDataCommands, parseStoreData } from './store-data';
import { swOf } from '../../test/sw-of';

const SSD = fromHex('A000000151535041AA');
const PKG = fromHex('A0000001515350');
const MODULE = fromHex('A000000151535041');


describe('INSTALL', () => {
  it('builds INSTALL [for install and make selectable] of an SSD like GPPro --domain', () => {
    const params = buildInstallParameters({ securityDomain: { scpId: 0x03, i: 0x70 } });
    expect(hex(params)).toBe('C90481020370');
    const command = buildInstallForInstall({
      loadFileAid: PKG,
      moduleAid: MODULE,
      applicationAid: SSD,
      privileges: Privileges.of(Privilege.SecurityDomain),
      installParameters: params,
    });
    expect(command.toString()).toBe('80E60C00' + '25' + '07A0000001515350' + '08A000000151535041' + '09A000000151535041AA' + '0180' + '06C90481020370' + '00' + '00');
    const parsed = parseInstallCommand(command);
    expect(parsed.role).toBe('install');
    if (parsed.role === 'install') {
      expect(parsed.makeSelectable).toBe(true);
      expect(parsed.request.privileges.has(Privilege.SecurityDomain)).toBe(true);
      const c9 = parseInstallParameters(parsed.request.installParameters ?? Buffer.alloc(0)).applicationSpecific;
      expect(parseSecurityDomainParameters(c9)).toEqual({ scpId: 3, i: 0x70, acceptExtraditionTo: undefined, acceptExtraditionFrom: undefined });
    }
  });

  it('encodes three privilege bytes when bytes 2-3 are used and keeps 82/87', () => {
    const privileges = Privileges.of(Privilege.SecurityDomain, Privilege.AuthorizedManagement);
    const params = buildInstallParameters({
      securityDomain: { scpId: 3, i: 0x70, acceptExtraditionTo: fromHex('2020'), acceptExtraditionFrom: fromHex('2020') },
    });
    const parsed = parseInstallCommand(buildInstallForInstall({ loadFileAid: PKG, moduleAid: MODULE, applicationAid: SSD, privileges, installParameters: params }, false));
    expect(parsed.role === 'install' && hex(parsed.request.privileges.toBytes())).toBe('804000');
    expect(parsed.role === 'install' && parsed.makeSelectable).toBe(false);
    const c9 = parseInstallParameters(params).applicationSpecific;
    expect(hex(parseSecurityDomainParameters(c9)?.acceptExtraditionFrom ?? Buffer.alloc(0))).toBe('2020');
  });

  it('round-trips the other roles', () => {
    expect(parseInstallCommand(buildInstallForLoad({ loadFileAid: PKG, securityDomainAid: SSD }))).toMatchObject({ role: 'load' });
    expect(parseInstallCommand(buildInstallForPersonalization(SSD))).toEqual({ role: 'personalization', applicationAid: SSD });
    expect(parseInstallCommand(buildInstallForMakeSelectable({ applicationAid: SSD, privileges: Privileges.of() }))).toMatchObject({ role: 'makeSelectable' });
    expect(parseInstallCommand(buildInstallForExtradition({ securityDomainAid: SSD, aid: PKG }))).toMatchObject({ role: 'extradition' });
    expect(buildInstallForPersonalization(SSD).toString()).toBe('80E62000' + '0F' + '0000' + '09A000000151535041AA' + '000000' + '00');
  });

  it('rejects malformed data with 6A80 and unsupported roles with 6A86', () => {
    expect(swOf(() => parseInstallCommand(new CommandApdu(0x80, 0xe6, 0x0c, 0, fromHex('07A000000151'))))).toBe(Sw.WRONG_DATA);
    expect(swOf(() => parseInstallCommand(new CommandApdu(0x80, 0xe6, 0x40, 0, fromHex('00'))))).toBe(Sw.INCORRECT_P1P2);
    expect(swOf(() => parseInstallParameters(fromHex('EF00')))).toBe(Sw.WRONG_DATA);
    expect(swOf(() => Privileges.fromBytes(fromHex('8000')))).toBe(Sw.WRONG_DATA);
  });
});

describe('LOAD and CAP load files', () => {
  it('splits a C4 block into numbered LOAD commands with P1=80 on the last', () => {
    const cap = buildCapLoadFile({ packageAid: PKG, version: { major: 1, minor: 2 }, appletAids: [MODULE] }, Buffer.alloc(500, 0xaa));
    const commands = buildLoadCommands(cap, 200);
    expect(commands.map((c) => [c.p1, c.p2])).toEqual([[0, 0], [0, 1], [0x80, 2]]);
    const blocks = commands.map(parseLoadCommand);
    const loadFile = Buffer.concat(blocks.map((b) => b.data));
    const info = parseCapLoadFile(extractLoadFileDataBlock(loadFile));
    expect(hex(info.packageAid)).toBe(hex(PKG));
    expect(info.version).toEqual({ major: 1, minor: 2 });
    expect(info.appletAids.map(hex)).toEqual([hex(MODULE)]);
  });

  it('rejects load files without a CAP header or with DAP blocks', () => {
    expect(swOf(() => parseCapLoadFile(fromHex('0300020000')))).toBe(Sw.WRONG_DATA);
    expect(swOf(() => extractLoadFileDataBlock(fromHex('E2024F00C40100')))).toBe(Sw.WRONG_DATA);
  });
});

describe('DELETE', () => {
  it('deletes card content with or without related objects, and keys', () => {
    expect(buildDeleteCardContent(SSD, true).toString()).toBe('80E400800B4F09A000000151535041AA00');
    expect(parseDeleteCommand(buildDeleteCardContent(SSD, true))).toEqual({ target: 'content', aid: SSD, related: true, hasToken: false });
    expect(buildDeleteKey(0x30, 0x01).toString()).toBe('80E4000006D00101D2013000');
    expect(parseDeleteCommand(buildDeleteKey(0x30))).toEqual({ target: 'key', kvn: 0x30, keyId: undefined });
    expect(swOf(() => parseDeleteCommand(new CommandApdu(0x80, 0xe4, 0, 0, fromHex('5A00'))))).toBe(Sw.WRONG_DATA);
  });
});

describe('SET STATUS and GET STATUS', () => {
  it('builds and parses SET STATUS', () => {
    const command = buildSetStatus(SetStatusScope.DOMAIN_AND_APPLICATIONS, 0x80, SSD);
    expect(command.toString()).toBe('80F0608009A000000151535041AA');
    expect(parseSetStatus(command)).toEqual({ scope: 0x60, aid: SSD, state: 0x80 });
    expect(swOf(() => parseSetStatus(new CommandApdu(0x80, 0xf0, 0x20, 0x80)))).toBe(Sw.INCORRECT_P1P2);
  });

  it('builds GET STATUS in tag format and continues with P2=03', () => {
    expect(buildGetStatus(GetStatusScope.LOAD_FILES).toString()).toBe('80F22002024F0000');
    expect(parseGetStatus(buildGetStatus(GetStatusScope.APPLICATIONS, { next: true }))).toEqual({ scope: 0x40, next: true, aidPrefix: Buffer.alloc(0) });
    expect(swOf(() => parseGetStatus(new CommandApdu(0x80, 0xf2, 0x40, 0x00, fromHex('4F00'))))).toBe(Sw.INCORRECT_P1P2);
  });

  it('encodes and parses E3 registry templates', () => {
    const ssd = { kind: 'SSD' as const, aid: SSD, lifeCycle: 0x07, privileges: Privileges.of(Privilege.SecurityDomain), loadFileAid: PKG, associatedSdAid: fromHex('A000000151000000') };
    const parsed = parseGetStatusResponse(encodeRegistryEntry(ssd), GetStatusScope.APPLICATIONS);
    expect(parsed[0].kind).toBe('SSD');
    expect(hex(parsed[0].associatedSdAid ?? Buffer.alloc(0))).toBe('A000000151000000');
    const elf = parseGetStatusResponse(encodeRegistryEntry({ kind: 'ELF', aid: PKG, lifeCycle: 1, modules: [MODULE], version: fromHex('0102') }), GetStatusScope.LOAD_FILES_AND_MODULES);
    expect(elf[0].modules?.map(hex)).toEqual([hex(MODULE)]);
  });
});

describe('STORE DATA', () => {
  it('codes P1 per GPC Table 11-89 and numbers blocks', () => {
    const commands = buildStoreDataCommands(Buffer.alloc(300), { structure: 'dgi', encryption: 'encrypted' }, 200);
    expect(commands.map((c) => [c.p1, c.p2])).toEqual([[0x68, 0], [0xe8, 1]]);
    const parsed = parseStoreData(commands[1]);
    expect(parsed).toMatchObject({ lastBlock: true, blockNumber: 1, flags: { structure: 'dgi', encryption: 'encrypted', responseExpected: false } });
    expect(parseStoreData(buildStoreDataCommands(Buffer.alloc(1), { structure: 'ber-tlv', encryption: 'application-dependent', responseExpected: true })[0]).flags).toEqual({
      structure: 'ber-tlv',
      encryption: 'application-dependent',
      responseExpected: true,
    });
    expect(swOf(() => parseStoreData(new CommandApdu(0x80, 0xe2, 0xc0, 0, fromHex('00'))))).toBe(Sw.INCORRECT_P1P2);
  });
});

describe('SELECT, MANAGE CHANNEL, GET DATA', () => {
  it('builds the basic commands', () => {
    expect(buildSelect(SSD).toString()).toBe('00A4040009A000000151535041AA00');
    expect(buildSelect(SSD, 2).toString()).toBe('02A4040009A000000151535041AA00');
    expect(buildManageChannelOpen().toString()).toBe('0070000001');
    expect(buildManageChannelClose(3).toString()).toBe('03708003');
    expect(buildGetData(DataObject.EXTENDED_CARD_RESOURCES).toString()).toBe('80CAFF2100');
  });

  it('encodes key information (no key values) and FF21', () => {
    const e0 = encodeKeyInformationTemplate([{ keyId: 1, kvn: 0x30, type: 0x88, length: 16 }]);
    expect(hex(e0)).toBe('E006C00401308810');
    expect(parseKeyInformationTemplate(e0)).toEqual([{ keyId: 1, kvn: 0x30, type: 0x88, length: 16 }]);
    const resources = { installedApplications: 3, freeNonVolatileMemory: 70000, freeVolatileMemory: 2048 };
    expect(parseExtendedCardResources(encodeExtendedCardResources(resources))).toEqual(resources);
  });
});

describe('life cycle and privileges', () => {
  it('locks and unlocks keeping the previous state', () => {
    expect(locked(0x07)).toBe(0x87);
    expect(isLocked(0x8f)).toBe(true);
    expect(unlocked(0x8f)).toBe(0x0f);
    expect(isSelectableState(0x07)).toBe(true);
    expect(isSelectableState(0x03)).toBe(false);
    expect(isSelectableState(0x87)).toBe(false);
  });

  it('treats composite privileges as bit sets', () => {
    const dap = Privileges.fromBytes(fromHex('C0'));
    expect(dap.has(Privilege.SecurityDomain)).toBe(true);
    expect(dap.has(Privilege.DelegatedManagement)).toBe(false);
    expect(Privileges.of(Privilege.SecurityDomain).isSubsetOf(dap)).toBe(true);
    expect(dap.names()).toEqual(['SecurityDomain', 'DAPVerification']);
  });
});
