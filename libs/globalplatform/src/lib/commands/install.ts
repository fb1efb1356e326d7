import { CommandApdu } from '../apdu/command-apdu';
import { berLv, ByteReader, EMPTY, lv } from '../bytes';
import { SwError } from '../errors';
import { Privileges } from '../registry/privileges';
import { Sw } from '../status-words';
import { decodeTlvs, encodeTlv, findTlv, Tlv } from '../tlv/ber-tlv';
import { optionalAid, requireAid } from './aid';
import { GP_CLA, Ins } from './instructions';

/** INSTALL P1 roles (GPC Table 11-41). */
export const InstallFor = {
  LOAD: 0x02,
  INSTALL: 0x04,
  MAKE_SELECTABLE: 0x08,
  INSTALL_AND_MAKE_SELECTABLE: 0x0c,
  EXTRADITION: 0x10,
  PERSONALIZATION: 0x20,
  REGISTRY_UPDATE: 0x40,
} as const;

const MORE_COMMANDS = 0x80;

export interface InstallForLoadRequest {
  readonly loadFileAid: Buffer;
  readonly securityDomainAid?: Buffer;
  readonly loadFileDataBlockHash?: Buffer;
  readonly loadParameters?: Buffer;
  readonly token?: Buffer;
}

export interface InstallForInstallRequest {
  readonly loadFileAid: Buffer;
  readonly moduleAid: Buffer;
  readonly applicationAid: Buffer;
  readonly privileges: Privileges;
  /** The whole Install Parameters field; defaults to C9 00. */
  readonly installParameters?: Buffer;
  readonly token?: Buffer;
}

export interface MakeSelectableRequest {
  readonly applicationAid: Buffer;
  readonly privileges: Privileges;
  readonly parameters?: Buffer;
  readonly token?: Buffer;
}

export interface ExtraditionRequest {
  readonly securityDomainAid: Buffer;
  readonly aid: Buffer;
  readonly parameters?: Buffer;
  readonly token?: Buffer;
}

export type InstallCommand =
  | { readonly role: 'load'; readonly request: InstallForLoadRequest }
  | { readonly role: 'install'; readonly makeSelectable: boolean; readonly request: InstallForInstallRequest }
  | { readonly role: 'makeSelectable'; readonly request: MakeSelectableRequest }
  | { readonly role: 'personalization'; readonly applicationAid: Buffer }
  | { readonly role: 'extradition'; readonly request: ExtraditionRequest };

function install(p1: number, data: Buffer): CommandApdu {
  return new CommandApdu(GP_CLA, Ins.INSTALL, p1, 0x00, data, 256);
}

/** Privileges on one byte when bytes 2 and 3 are zero, else three (GPC Table 11-43). */
function encodePrivileges(privileges: Privileges): Buffer {
  const bytes = privileges.toBytes();
  return lv(bytes[1] === 0 && bytes[2] === 0 ? bytes.subarray(0, 1) : bytes);
}

export function buildInstallForLoad(request: InstallForLoadRequest): CommandApdu {
  return install(
    InstallFor.LOAD,
    Buffer.concat([
      lv(request.loadFileAid),
      lv(request.securityDomainAid ?? EMPTY),
      lv(request.loadFileDataBlockHash ?? EMPTY),
      berLv(request.loadParameters ?? EMPTY),
      berLv(request.token ?? EMPTY),
    ]),
  );
}

export function buildInstallForInstall(request: InstallForInstallRequest, makeSelectable = true): CommandApdu {
  return install(
    makeSelectable ? InstallFor.INSTALL_AND_MAKE_SELECTABLE : InstallFor.INSTALL,
    Buffer.concat([
      lv(request.loadFileAid),
      lv(request.moduleAid),
      lv(request.applicationAid),
      encodePrivileges(request.privileges),
      berLv(request.installParameters ?? buildInstallParameters({})),
      berLv(request.token ?? EMPTY),
    ]),
  );
}

export function buildInstallForMakeSelectable(request: MakeSelectableRequest): CommandApdu {
  return install(
    InstallFor.MAKE_SELECTABLE,
    Buffer.concat([
      Buffer.from([0x00, 0x00]),
      lv(request.applicationAid),
      encodePrivileges(request.privileges),
      berLv(request.parameters ?? EMPTY),
      berLv(request.token ?? EMPTY),
    ]),
  );
}

export function buildInstallForPersonalization(applicationAid: Buffer): CommandApdu {
  return install(
    InstallFor.PERSONALIZATION,
    Buffer.concat([Buffer.from([0x00, 0x00]), lv(applicationAid), Buffer.from([0x00, 0x00, 0x00])]),
  );
}

export function buildInstallForExtradition(request: ExtraditionRequest): CommandApdu {
  return install(
    InstallFor.EXTRADITION,
    Buffer.concat([
      lv(request.securityDomainAid),
      Buffer.from([0x00]),
      lv(request.aid),
      Buffer.from([0x00]),
      berLv(request.parameters ?? EMPTY),
      berLv(request.token ?? EMPTY),
    ]),
  );
}

/** Card side: decodes an INSTALL command by its role. Unsupported roles → 6A86, malformed data → 6A80. */
export function parseInstallCommand(command: CommandApdu): InstallCommand {
  if ((command.p1 & MORE_COMMANDS) !== 0) {
    throw new SwError(Sw.INCORRECT_P1P2, 'chained INSTALL commands are not supported');
  }
  const reader = new ByteReader(command.data);
  const parsed = parseByRole(command.p1, reader);
  reader.expectEnd();
  return parsed;
}

function parseByRole(p1: number, reader: ByteReader): InstallCommand {
  switch (p1) {
    case InstallFor.LOAD:
      return { role: 'load', request: parseForLoad(reader) };
    case InstallFor.INSTALL:
    case InstallFor.INSTALL_AND_MAKE_SELECTABLE:
      return { role: 'install', makeSelectable: p1 === InstallFor.INSTALL_AND_MAKE_SELECTABLE, request: parseForInstall(reader) };
    case InstallFor.MAKE_SELECTABLE:
      return { role: 'makeSelectable', request: parseForMakeSelectable(reader) };
    case InstallFor.PERSONALIZATION:
      return { role: 'personalization', applicationAid: parseForPersonalization(reader) };
    case InstallFor.EXTRADITION:
      return { role: 'extradition', request: parseForExtradition(reader) };
    default:
      throw new SwError(Sw.INCORRECT_P1P2, `INSTALL P1 ${p1.toString(16)} not supported`);
  }
}

function parseForLoad(reader: ByteReader): InstallForLoadRequest {
  return {
    loadFileAid: requireAid(reader.lv(), 'load file AID'),
    securityDomainAid: optionalAid(reader.lv(), 'security domain AID'),
    loadFileDataBlockHash: reader.lv(),
    loadParameters: reader.berLv(),
    token: reader.berLv(),
  };
}

function parseForInstall(reader: ByteReader): InstallForInstallRequest {
  return {
    loadFileAid: requireAid(reader.lv(), 'load file AID'),
    moduleAid: requireAid(reader.lv(), 'module AID'),
    applicationAid: requireAid(reader.lv(), 'application AID'),
    privileges: Privileges.fromBytes(reader.lv()),
    installParameters: reader.berLv(),
    token: reader.berLv(),
  };
}

function parseForMakeSelectable(reader: ByteReader): MakeSelectableRequest {
  expectEmptyFields(reader, 2);
  return {
    applicationAid: requireAid(reader.lv(), 'application AID'),
    privileges: Privileges.fromBytes(reader.lv()),
    parameters: reader.berLv(),
    token: reader.berLv(),
  };
}

function parseForPersonalization(reader: ByteReader): Buffer {
  expectEmptyFields(reader, 2);
  const aid = requireAid(reader.lv(), 'application AID');
  expectEmptyFields(reader, 3);
  return aid;
}

function parseForExtradition(reader: ByteReader): ExtraditionRequest {
  const securityDomainAid = requireAid(reader.lv(), 'security domain AID');
  expectEmptyFields(reader, 1);
  const aid = requireAid(reader.lv(), 'AID');
  expectEmptyFields(reader, 1);
  return { securityDomainAid, aid, parameters: reader.berLv(), token: reader.berLv() };
}

function expectEmptyFields(reader: ByteReader, count: number): void {
  for (let i = 0; i < count; i++) {
    if (reader.u8() !== 0) {
      throw new SwError(Sw.WRONG_DATA, 'expected an empty length field');
    }
  }
}

/** SD parameters inside C9 (GPPro `--domain`): 81 = SCP id and i, 82/87 = extradition permissions. */
export interface SecurityDomainParameters {
  readonly scpId: number;
  readonly i: number;
  readonly acceptExtraditionTo?: Buffer;
  readonly acceptExtraditionFrom?: Buffer;
}

export interface InstallParameters {
  readonly applicationSpecific: Buffer;
  readonly systemSpecific?: Buffer;
}

const ParamTag = {
  APPLICATION_SPECIFIC: 0xc9,
  SYSTEM_SPECIFIC: 0xef,
  SCP: 0x81,
  EXTRADITION_TO: 0x82,
  EXTRADITION_FROM: 0x87,
} as const;

export function buildInstallParameters(options: {
  applicationSpecific?: Buffer;
  securityDomain?: SecurityDomainParameters;
  systemSpecific?: Buffer;
}): Buffer {
  const sd = options.securityDomain;
  const sdTlvs: Buffer[] = sd
    ? [
        encodeTlv(ParamTag.SCP, Buffer.from([sd.scpId, sd.i])),
        ...(sd.acceptExtraditionTo ? [encodeTlv(ParamTag.EXTRADITION_TO, sd.acceptExtraditionTo)] : []),
        ...(sd.acceptExtraditionFrom ? [encodeTlv(ParamTag.EXTRADITION_FROM, sd.acceptExtraditionFrom)] : []),
      ]
    : [];
  const c9 = encodeTlv(ParamTag.APPLICATION_SPECIFIC, Buffer.concat([options.applicationSpecific ?? EMPTY, ...sdTlvs]));
  const ef = options.systemSpecific ? [encodeTlv(ParamTag.SYSTEM_SPECIFIC, options.systemSpecific)] : [];
  return Buffer.concat([c9, ...ef]);
}

/** C9 is mandatory (GPC Table 11-49); anything else malformed → 6A80. */
export function parseInstallParameters(field: Buffer): InstallParameters {
  const tlvs = decodeTlvs(field);
  const c9 = findTlv(tlvs, ParamTag.APPLICATION_SPECIFIC);
  if (!c9) {
    throw new SwError(Sw.WRONG_DATA, 'install parameters lack C9');
  }
  return { applicationSpecific: c9.value, systemSpecific: findTlv(tlvs, ParamTag.SYSTEM_SPECIFIC)?.value };
}

/** For a Security Domain the C9 content is BER-TLV (GPC §11.5.2.3.7); returns undefined without tag 81. */
export function parseSecurityDomainParameters(applicationSpecific: Buffer): SecurityDomainParameters | undefined {
  const tlvs: Tlv[] = decodeTlvs(applicationSpecific);
  const scp = findTlv(tlvs, ParamTag.SCP);
  if (!scp) {
    return undefined;
  }
  if (scp.value.length !== 2) {
    throw new SwError(Sw.WRONG_DATA, 'SD parameter 81 must be 2 bytes');
  }
  return {
    scpId: scp.value[0],
    i: scp.value[1],
    acceptExtraditionTo: findTlv(tlvs, ParamTag.EXTRADITION_TO)?.value,
    acceptExtraditionFrom: findTlv(tlvs, ParamTag.EXTRADITION_FROM)?.value,
  };
}
