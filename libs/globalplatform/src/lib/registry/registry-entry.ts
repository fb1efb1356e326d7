import { decodeTlvs, encodeTlv, findTlv, requireTlv, Tlv } from '../tlv/ber-tlv';
import { TlvError } from '../errors';
import { Privilege, Privileges } from './privileges';

export type RegistryEntryKind = 'ISD' | 'SSD' | 'APP' | 'ELF';

/** One GlobalPlatform Registry entry as GET STATUS reports it (GPC Tables 11-36/11-37). */
export interface GpRegistryEntry {
  readonly kind: RegistryEntryKind;
  readonly aid: Buffer;
  readonly lifeCycle: number;
  readonly privileges?: Privileges;
  readonly loadFileAid?: Buffer;
  readonly associatedSdAid?: Buffer;
  readonly version?: Buffer;
  readonly modules?: readonly Buffer[];
}

/** GET STATUS P1 subsets (GPC Table 11-33). */
export const GetStatusScope = {
  ISSUER_SECURITY_DOMAIN: 0x80,
  APPLICATIONS: 0x40,
  LOAD_FILES: 0x20,
  LOAD_FILES_AND_MODULES: 0x10,
} as const;

const Tag = {
  TEMPLATE: 0xe3,
  AID: 0x4f,
  LIFE_CYCLE: 0x9f70,
  PRIVILEGES: 0xc5,
  LOAD_FILE_AID: 0xc4,
  ASSOCIATED_SD: 0xcc,
  VERSION: 0xce,
  MODULE: 0x84,
} as const;

export function encodeRegistryEntry(entry: GpRegistryEntry): Buffer {
  const fields: Tlv[] = [
    { tag: Tag.AID, value: entry.aid },
    { tag: Tag.LIFE_CYCLE, value: Buffer.from([entry.lifeCycle]) },
  ];
  if (entry.privileges) {
    fields.push({ tag: Tag.PRIVILEGES, value: entry.privileges.toBytes() });
  }
  if (entry.loadFileAid) {
    fields.push({ tag: Tag.LOAD_FILE_AID, value: entry.loadFileAid });
  }
  if (entry.version) {
    fields.push({ tag: Tag.VERSION, value: entry.version });
  }
  for (const module of entry.modules ?? []) {
    fields.push({ tag: Tag.MODULE, value: module });
  }
  if (entry.associatedSdAid) {
    fields.push({ tag: Tag.ASSOCIATED_SD, value: entry.associatedSdAid });
  }
  return encodeTlv(Tag.TEMPLATE, fields);
}

/** Parses the E3 templates of a GET STATUS response; `scope` is the P1 that was sent. */
export function parseGetStatusResponse(data: Buffer, scope: number): GpRegistryEntry[] {
  return decodeTlvs(data).map((template) => {
    if (template.tag !== Tag.TEMPLATE) {
      throw new TlvError(`expected E3 template, found ${template.tag.toString(16)}`);
    }
    return parseTemplate(decodeTlvs(template.value), scope);
  });
}

function parseTemplate(fields: Tlv[], scope: number): GpRegistryEntry {
  const privilegeBytes = findTlv(fields, Tag.PRIVILEGES)?.value;
  const privileges = privilegeBytes ? Privileges.fromBytes(privilegeBytes) : undefined;
  return {
    kind: kindOf(scope, privileges),
    aid: requireTlv(fields, Tag.AID).value,
    lifeCycle: decodeLifeCycle(requireTlv(fields, Tag.LIFE_CYCLE).value),
    privileges,
    loadFileAid: findTlv(fields, Tag.LOAD_FILE_AID)?.value,
    associatedSdAid: findTlv(fields, Tag.ASSOCIATED_SD)?.value,
    version: findTlv(fields, Tag.VERSION)?.value,
    modules: fields.filter((field) => field.tag === Tag.MODULE).map((field) => field.value),
  };
}

function decodeLifeCycle(value: Buffer): number {
  if (value.length !== 1) {
    throw new TlvError('life cycle state must be one byte');
  }
  return value[0];
}

function kindOf(scope: number, privileges: Privileges | undefined): RegistryEntryKind {
  if (scope === GetStatusScope.ISSUER_SECURITY_DOMAIN) {
    return 'ISD';
  }
  if (scope === GetStatusScope.APPLICATIONS) {
    return privileges?.has(Privilege.SecurityDomain) ? 'SSD' : 'APP';
  }
  return 'ELF';
}

