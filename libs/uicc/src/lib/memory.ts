import { CardImage, JpkiStore, KeysetRecord, RegistryRecord } from './card-image';

/** Bytes charged for what GP calls Mutable Persistent Memory; the figures are the simulator's, not a vendor's. */
export const MemoryCost = {
  APPLICATION_INSTANCE: 256,
  SECURITY_DOMAIN_INSTANCE: 512,
  KEYSET_OVERHEAD: 16,
  PIN: 32,
} as const;

/** Volatile memory is not modelled; FF21 reports this fixed figure. */
export const FREE_VOLATILE_MEMORY = 2048;

const hexBytes = (value: string | null): number => (value ? value.length / 2 : 0);

function keysetBytes(keyset: KeysetRecord): number {
  return MemoryCost.KEYSET_OVERHEAD + hexBytes(keyset.enc) + hexBytes(keyset.mac) + hexBytes(keyset.dek);
}

function storeBytes(store: JpkiStore | null): number {
  if (!store) {
    return 0;
  }
  const pin = store.pinDigest ? MemoryCost.PIN : 0;
  return pin + hexBytes(store.contentKey) + hexBytes(store.privateKey) + hexBytes(store.certificate);
}

function recordBytes(record: RegistryRecord): number {
  switch (record.kind) {
    case 'ELF':
      return record.preloaded ? 0 : hexBytes(record.image);
    case 'ISD':
      return record.keysets.reduce((sum, keyset) => sum + keysetBytes(keyset), 0);
    case 'SSD':
      return (
        MemoryCost.SECURITY_DOMAIN_INSTANCE +
        hexBytes(record.installParameters) +
        record.keysets.reduce((sum, keyset) => sum + keysetBytes(keyset), 0)
      );
    case 'APP':
      return MemoryCost.APPLICATION_INSTANCE + hexBytes(record.installParameters) + storeBytes(record.jpki);
  }
}

export function memoryUsed(image: CardImage): number {
  return image.registry.reduce((sum, record) => sum + recordBytes(record), 0);
}

export function freeMemory(image: CardImage): number {
  return Math.max(0, image.memoryQuotaBytes - memoryUsed(image));
}
