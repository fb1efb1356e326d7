export {
  DEFAULT_MAX_FAILED_AUTHENTICATIONS,
  VirtualUicc,
  type CardRuntimeOptions,
  type ManufactureOptions,
} from './lib/virtual-uicc';
export {
  CARD_IMAGE_FORMAT,
  CardImageError,
  validateCardImage,
  type ApplicationRecord,
  type CardImage,
  type JpkiStore,
  type KeysetRecord,
  type LoadFileRecord,
  type RegistryRecord,
  type SecurityDomainRecord,
} from './lib/card-image';
export { generateRsaKeyPair, type RsaKeyPair, type RsaKeyPairFactory } from './lib/key-pair-factory';
export { FREE_VOLATILE_MEMORY, freeMemory, MemoryCost, memoryUsed } from './lib/memory';
export { DEFAULT_ISD_AID, ISD_PRIVILEGES, JPKI_LOAD_FILE_IMAGE, SecurityDomainPackage } from './lib/preloaded-content';
