export { ApduFormatError, CardStatusError, GpError, SecureChannelError, SequenceCounterMismatch, SwError, TlvError } from './lib/errors';
export {
  describeSw,
  formatSw,
  isDefinedSw,
  isSuccessOrWarning,
  STATUS_WORDS,
  Sw,
  sw61xx,
  sw63Cx,
  type SwInfo,
} from './lib/status-words';
export { berLv, ByteReader, EMPTY, fromHex, hex, lv, minimalUnsigned, u16 } from './lib/bytes';

export {
  claForMac,
  claHasSecureMessaging,
  claIsChained,
  claIsProprietary,
  claIsValid,
  claLogicalChannel,
  claWithLogicalChannel,
  claWithSecureMessaging,
  MAX_LOGICAL_CHANNEL,
} from './lib/apdu/cla';
export { CommandApdu, type IsoCase } from './lib/apdu/command-apdu';
export { ResponseApdu } from './lib/apdu/response-apdu';

export {
  decodeTlv,
  decodeTlvs,
  encodeBerLength,
  encodeTag,
  encodeTlv,
  encodeTlvs,
  findTlv,
  isConstructedTag,
  requireTlv,
  type Tlv,
} from './lib/tlv/ber-tlv';
export { decodeDgis, encodeDgi, type Dgi } from './lib/tlv/dgi';

export { AES_BLOCK, aesCbcDecrypt, aesCbcEncrypt, aesEcbEncrypt } from './lib/crypto/aes';
export { aesCmac } from './lib/crypto/aes-cmac';
export { kcvAes } from './lib/crypto/kcv';
export { pad80, unpad80 } from './lib/crypto/padding';
export { scp03Kdf, Scp03DerivationConstant } from './lib/crypto/scp03-kdf';

export { isScp03Kvn, Kvn, Scp03KeyId, Scp03KeySet, type KeyCheckValues, type KeyPurpose } from './lib/keys/scp03-key-set';

export {
  DEFAULT_SCP03_I,
  hasSecurity,
  isLevelSupportedByI,
  isValidSecurityLevel,
  Scp03Option,
  SecurityLevel,
  SecurityLevelBit,
  sModeOf,
  type Scp03SMode,
} from './lib/scp03/security-level';
export {
  cardCryptogram,
  deriveSessionKeys,
  encodeSequenceCounter,
  hostCryptogram,
  pseudoRandomCardChallenge,
  SEQUENCE_COUNTER_MAX,
  type Scp03SessionKeys,
} from './lib/scp03/scp03-crypto';
export {
  buildInitializeUpdate,
  encodeInitializeUpdateResponse,
  KDD_LENGTH,
  parseInitializeUpdateResponse,
  SCP03_ID,
  type InitializeUpdateResponse,
} from './lib/scp03/initialize-update';
export { Scp03Wrapper } from './lib/scp03/scp03-wrapper';
export { Scp03HostSession, type Scp03HostSessionOptions, type Scp03KeyProvider } from './lib/scp03/scp03-host-session';
export {
  Scp03CardSession,
  type Scp03CardSessionState,
  type Scp03InitializeUpdateParams,
} from './lib/scp03/scp03-card-session';

export { Privilege, Privileges, type PrivilegeName } from './lib/registry/privileges';
export {
  ApplicationLifeCycle,
  CardLifeCycle,
  isLocked,
  isSelectableState,
  LoadFileLifeCycle,
  locked,
  SecurityDomainLifeCycle,
  unlocked,
} from './lib/registry/life-cycle';
export {
  encodeRegistryEntry,
  GetStatusScope,
  parseGetStatusResponse,
  type GpRegistryEntry,
  type RegistryEntryKind,
} from './lib/registry/registry-entry';

export { GP_CLA, Ins, ISO_CLA } from './lib/commands/instructions';
export { AID_MAX_LENGTH, AID_MIN_LENGTH, optionalAid, requireAid } from './lib/commands/aid';
export { buildGetResponse, buildManageChannelClose, buildManageChannelOpen, buildSelect, ManageChannelP1, SelectP1 } from './lib/commands/select';
export {
  buildInstallForExtradition,
  buildInstallForInstall,
  buildInstallForLoad,
  buildInstallForMakeSelectable,
  buildInstallForPersonalization,
  buildInstallParameters,
  InstallFor,
  parseInstallCommand,
  parseInstallParameters,
  parseSecurityDomainParameters,
  type ExtraditionRequest,
  type InstallCommand,
  type InstallForInstallRequest,
  type InstallForLoadRequest,
  type InstallParameters,
  type MakeSelectableRequest,
  type SecurityDomainParameters,
} from './lib/commands/install';
export { buildLoadCommands, extractLoadFileDataBlock, MAX_SECURE_BLOCK, parseLoadCommand, secureBlockSize, splitBlocks, type LoadBlock } from './lib/commands/load';
export { buildCapLoadFile, parseCapLoadFile, type CapLoadFileInfo } from './lib/commands/load-file';
export { buildDeleteCardContent, buildDeleteKey, parseDeleteCommand, type DeleteCommand } from './lib/commands/delete';
export {
  buildGetStatus,
  buildSetStatus,
  parseGetStatus,
  parseSetStatus,
  SetStatusScope,
  type GetStatusCommand,
  type SetStatusCommand,
} from './lib/commands/status';
export {
  buildStoreDataCommands,
  parseStoreData,
  storeDataP1,
  type StoreDataBlock,
  type StoreDataEncryption,
  type StoreDataFlags,
  type StoreDataStructure,
} from './lib/commands/store-data';
export {
  buildAesKeyBlock,
  buildPutKey,
  encodePutKeyResponse,
  encryptKeyUnderDek,
  KeyType,
  parseAesKeyBlock,
  parsePutKey,
  type PutKeyCommand,
} from './lib/commands/put-key';
export { buildKeySetDgis, KeyDgi, KeyUsage, parseKeySetDgis } from './lib/commands/key-dgi';
export {
  buildGetData,
  DataObject,
  encodeExtendedCardResources,
  encodeKeyInformationTemplate,
  parseExtendedCardResources,
  parseKeyInformationTemplate,
  type ExtendedCardResources,
  type KeyInformation,
} from './lib/commands/get-data';

export { GpSession, type ApduTransport, type OpenSecureChannelOptions } from './lib/host/gp-session';
export { CardScript, ScriptStopped, type PlannedSession, type ScriptPart, type ScriptTransport } from './lib/host/card-script';

export {
  buildChangeReferenceData,
  buildGenerateKeyPair,
  buildProofOfPossession,
  buildReadCertificate,
  readJpkiCertificate,
  derElementLength,
  buildReadPublicKey,
  buildResetRetryCounter,
  buildSign,
  buildVerify,
  encodePin,
  encodePublicKeyTemplate,
  isSha256DigestInfo,
  JPKI_CERTIFICATE_SFI,
  JPKI_PIN_LENGTH,
  JPKI_PIN_REFERENCE,
  JPKI_PIN_TRIES,
  JPKI_RSA_BITS,
  JpkiAid,
  JpkiChangeReferenceP1,
  JpkiGenerateP1,
  JpkiResetRetryCounterP1,
  JpkiSignatureP1P2,
  JpkiTag,
  parsePublicKeyTemplate,
  publicKeyFromTemplate,
  sha256DigestInfo,
  SHA256_DIGEST_INFO_LENGTH,
  type RsaPublicKeyComponents,
} from './lib/jpki/jpki-applet-protocol';
export {
  buildCertificateDo,
  buildContentKeyDo,
  buildPrivateKeyDo,
  CONTENT_KEY_LENGTH,
  openContentKeyDo,
  seal,
  unseal,
} from './lib/jpki/content-protection';
