import { CommandApdu } from '../apdu/command-apdu';
import { minimalUnsigned } from '../bytes';
import { SwError } from '../errors';
import { Sw } from '../status-words';
import { decodeTlv, decodeTlvs, encodeTlv, requireTlv } from '../tlv/ber-tlv';
import { GP_CLA, Ins } from './instructions';

/** GET DATA objects of a Security Domain (GPC §11.3.2.1). */
export const DataObject = {
  CARD_DATA: 0x66,
  KEY_INFORMATION_TEMPLATE: 0xe0,
  EXTENDED_CARD_RESOURCES: 0xff21,
} as const;

export interface KeyInformation {
  readonly keyId: number;
  readonly kvn: number;
  readonly type: number;
  readonly length: number;
}

/** TS 102 226 Extended Card Resources Information (tag FF21). */
export interface ExtendedCardResources {
  readonly installedApplications: number;
  readonly freeNonVolatileMemory: number;
  readonly freeVolatileMemory: number;
}

export function buildGetData(tag: number, cla: number = GP_CLA): CommandApdu {
  if (tag < 0 || tag > 0xffff) {
    throw new RangeError(`GET DATA tag out of range: ${tag}`);
  }
  return new CommandApdu(cla, Ins.GET_DATA, tag >> 8, tag & 0xff, Buffer.alloc(0), 256);
}

/** E0 with one basic Key Information Data object (C0) per key: id, KVN, type, length (GPC Table 11-28). */
export function encodeKeyInformationTemplate(keys: readonly KeyInformation[]): Buffer {
  return encodeTlv(
    DataObject.KEY_INFORMATION_TEMPLATE,
    keys.map((key) => ({ tag: 0xc0, value: Buffer.from([key.keyId, key.kvn, key.type, key.length]) })),
  );
}

export function parseKeyInformationTemplate(data: Buffer): KeyInformation[] {
  const template = decodeTlv(data);
  if (template.tag !== DataObject.KEY_INFORMATION_TEMPLATE) {
    throw new SwError(Sw.WRONG_DATA, 'expected an E0 key information template');
  }
  return decodeTlvs(template.value).map(({ value }) => {
    if (value.length < 4) {
      throw new SwError(Sw.WRONG_DATA, 'key information data too short');
    }
    return { keyId: value[0], kvn: value[1], type: value[2], length: value[3] };
  });
}

export function encodeExtendedCardResources(resources: ExtendedCardResources): Buffer {
  return encodeTlv(DataObject.EXTENDED_CARD_RESOURCES, [
    { tag: 0x81, value: minimalUnsigned(resources.installedApplications) },
    { tag: 0x82, value: minimalUnsigned(resources.freeNonVolatileMemory) },
    { tag: 0x83, value: minimalUnsigned(resources.freeVolatileMemory) },
  ]);
}

export function parseExtendedCardResources(data: Buffer): ExtendedCardResources {
  const template = decodeTlv(data);
  const fields = decodeTlvs(template.value);
  const number = (tag: number) => {
    const value = requireTlv(fields, tag).value;
    if (value.length < 1 || value.length > 6) {
      throw new SwError(Sw.WRONG_DATA, `tag ${tag.toString(16)} is not a 1-6 byte number`);
    }
    return value.readUIntBE(0, value.length);
  };
  return { installedApplications: number(0x81), freeNonVolatileMemory: number(0x82), freeVolatileMemory: number(0x83) };
}
