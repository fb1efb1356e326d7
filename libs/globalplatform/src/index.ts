export { CardStatusError, GpError, SecureChannelError, SequenceCounterMismatch, SwError } from './lib/errors';
export { isDefinedSw, Sw, sw61xx, sw63Cx } from './lib/status-words';
export { fromHex, hex } from './lib/bytes';

export {
  claHasSecureMessaging,
  claIsChained,
  claIsProprietary,
  claIsValid,
  claLogicalChannel,
  claWithLogicalChannel,
} from './lib/apdu/cla';
export { CommandApdu } from './lib/apdu/command-apdu';
export { ResponseApdu } from './lib/apdu/response-apdu';

export { decodeTlv, decodeTlvs, encodeTlv } from './lib/tlv/ber-tlv';

export { aesCmac } from './lib/crypto/aes-cmac';
export { kcvAes } from './lib/crypto/kcv';

export { isScp03Kvn, Kvn, Scp03KeyId, Scp03KeySet } from './lib/keys/scp03-key-set';

export {
  DEFAULT_SCP03_I,
  hasSecurity,
  Scp03Option,
  SecurityLevel,
  SecurityLevelBit,
  sModeOf,
  type Scp03SMode,
} from './lib/scp03/security-level';
export { SEQUENCE_COUNTER_MAX } from './lib/scp03/scp03-crypto';
export { buildInitializeUpdate, SCP03_ID } from './lib/scp03/initialize-update';
export { Scp03CardSession } from './lib/scp03/scp03-card-session';

export { Privilege, Privileges } from './lib/registry/privileges';
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
} from './lib/registry/registry-entry';

export { Ins } from './lib/commands/instructions';
export {
  buildGetResponse,
  buildManageChannelClose,
  buildManageChannelOpen,
  buildSelect,
  ManageChannelP1,
  SelectP1,
} from './lib/commands/select';
export {
  buildInstallForInstall,
  buildInstallForLoad,
  buildInstallForPersonalization,
  buildInstallParameters,
  parseInstallCommand,
  parseInstallParameters,
  parseSecurityDomainParameters,
  type InstallForInstallRequest,
  type InstallForLoadRequest,
  type MakeSelectableRequest,
} from './lib/commands/install';
export { buildLoadCommands, extractLoadFileDataBlock, parseLoadCommand, secureBlockSize } from './lib/commands/load';
export { buildCapLoadFile, parseCapLoadFile } from './lib/commands/load-file';
export { buildDeleteCardContent, parseDeleteCommand, type DeleteCommand } from './lib/commands/delete';
export { buildGetStatus, buildSetStatus, parseGetStatus, parseSetStatus, SetStatusScope } from './lib/commands/status';
export { buildStoreDataCommands, parseStoreData, type StoreDataFlags } from './lib/commands/store-data';
export { buildPutKey, encodePutKeyResponse, KeyType, parsePutKey } from './lib/commands/put-key';
export { buildKeySetDgis, parseKeySetDgis } from './lib/commands/key-dgi';
export {
  buildGetData,
  DataObject,
  encodeExtendedCardResources,
  encodeKeyInformationTemplate,
  parseExtendedCardResources,
  parseKeyInformationTemplate,
} from './lib/commands/get-data';

export { GpSession, type KeysetChannel, type PlanSession, type SequenceCounterStore } from './lib/host/gp-session';
export { CardScript, ScriptStopped, type PlannedSession, type ScriptPart, type ScriptTransport } from './lib/host/card-script';
export type { Scp03KeyProvider } from './lib/scp03/scp03-host-session';

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
  encodePublicKeyTemplate,
  JPKI_CERTIFICATE_SFI,
  JPKI_PIN_RULES,
  jpkiInstallParameters,
  jpkiInstanceAid,
  jpkiRoleOf,
  splitPinPair,
  type JpkiKeyRole,
  type JpkiPinRule,
  JPKI_RSA_BITS,
  JpkiAid,
  JpkiChangeReferenceP1,
  JpkiGenerateP1,
  JpkiResetRetryCounterP1,
  JpkiSignatureP1P2,
  JpkiTag,
  parsePublicKeyTemplate,
  publicKeyFromTemplate,
} from './lib/jpki/jpki-applet-protocol';
export {
  buildCertificateDo,
  buildContentKeyDo,
  buildPrivateKeyDo,
  openContentKeyDo,
  unseal,
} from './lib/jpki/content-protection';
