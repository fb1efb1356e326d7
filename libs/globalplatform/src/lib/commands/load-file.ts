import { ByteReader, u16 } from '../bytes';
import { SwError } from '../errors';
import { Sw } from '../status-words';

/** What the card needs from a Java Card CAP load file: package AID, version and applet (module) AIDs. */
export interface CapLoadFileInfo {
  readonly packageAid: Buffer;
  readonly version: { readonly major: number; readonly minor: number };
  readonly appletAids: readonly Buffer[];
}

const CAP_MAGIC = 0xdecaffed;
const CAP_FORMAT = { minor: 1, major: 2 };

const Component = {
  HEADER: 0x01,
  APPLET: 0x03,
  METHOD: 0x07,
} as const;

function component(tag: number, info: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), u16(info.length), info]);
}

/** A minimal CAP: Header and Applet components plus an opaque Method component (JCVM spec §6). */
export function buildCapLoadFile(info: CapLoadFileInfo, methodComponent: Buffer = Buffer.alloc(0)): Buffer {
  const magic = Buffer.alloc(4);
  magic.writeUInt32BE(CAP_MAGIC);
  const header = Buffer.concat([
    magic,
    Buffer.from([CAP_FORMAT.minor, CAP_FORMAT.major, 0x00, info.version.minor, info.version.major, info.packageAid.length]),
    info.packageAid,
  ]);
  const applets = Buffer.concat([
    Buffer.from([info.appletAids.length]),
    ...info.appletAids.map((aid) => Buffer.concat([Buffer.from([aid.length]), aid, u16(0)])),
  ]);
  const components = [component(Component.HEADER, header)];
  if (info.appletAids.length > 0) {
    components.push(component(Component.APPLET, applets));
  }
  if (methodComponent.length > 0) {
    components.push(component(Component.METHOD, methodComponent));
  }
  return Buffer.concat(components);
}

/** Reads the Header and Applet components of a Load File Data Block; anything malformed → 6A80. */
export function parseCapLoadFile(loadFileDataBlock: Buffer): CapLoadFileInfo {
  const reader = new ByteReader(loadFileDataBlock);
  let header: Pick<CapLoadFileInfo, 'packageAid' | 'version'> | undefined;
  let appletAids: Buffer[] = [];
  while (reader.remaining > 0) {
    const tag = reader.u8();
    const info = new ByteReader(reader.take(reader.u16()));
    if (tag === Component.HEADER) {
      header = parseHeader(info);
    } else if (tag === Component.APPLET) {
      appletAids = parseApplets(info);
    }
  }
  if (!header) {
    throw new SwError(Sw.WRONG_DATA, 'load file has no CAP Header component');
  }
  return { ...header, appletAids };
}

function parseHeader(info: ByteReader): Pick<CapLoadFileInfo, 'packageAid' | 'version'> {
  if (info.take(4).readUInt32BE(0) !== CAP_MAGIC) {
    throw new SwError(Sw.WRONG_DATA, 'CAP Header magic is not DECAFFED');
  }
  info.take(3);
  const minor = info.u8();
  const major = info.u8();
  return { packageAid: info.lv(), version: { major, minor } };
}

function parseApplets(info: ByteReader): Buffer[] {
  const count = info.u8();
  const aids: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    aids.push(info.lv());
    info.u16();
  }
  info.expectEnd();
  return aids;
}
