import { CommandApdu } from '../apdu/command-apdu';
import { claWithLogicalChannel } from '../apdu/cla';
import { ResponseApdu } from '../apdu/response-apdu';
import { buildDeleteCardContent, buildDeleteKey } from '../commands/delete';
import { buildGetData } from '../commands/get-data';
import {
  buildInstallForInstall,
  buildInstallForLoad,
  buildInstallForMakeSelectable,
  buildInstallForPersonalization,
  InstallForInstallRequest,
  MakeSelectableRequest,
} from '../commands/install';
import { buildKeySetDgis } from '../commands/key-dgi';
import { buildLoadCommands, MAX_SECURE_BLOCK } from '../commands/load';
import { buildPutKey } from '../commands/put-key';
import { buildGetResponse, buildManageChannelClose, buildManageChannelOpen, buildSelect } from '../commands/select';
import { buildGetStatus, buildSetStatus, SetStatusScope } from '../commands/status';
import { buildStoreDataCommands, StoreDataFlags } from '../commands/store-data';
import { CardStatusError, GpError } from '../errors';
import { Scp03KeySet } from '../keys/scp03-key-set';
import { GpRegistryEntry, parseGetStatusResponse } from '../registry/registry-entry';
import { InitializeUpdateResponse } from '../scp03/initialize-update';
import { Scp03HostSession, Scp03HostSessionOptions } from '../scp03/scp03-host-session';
import { Scp03Wrapper } from '../scp03/scp03-wrapper';
import { Sw } from '../status-words';

/** Sends one command APDU and resolves with the response APDU (OTA bearer, Kafka script hop, PC/SC, the virtual card). */
export type ApduTransport = (command: Buffer) => Promise<Buffer>;

export type OpenSecureChannelOptions = Omit<Scp03HostSessionOptions, 'logicalChannel'>;

const LOCK = 0x80;
const UNLOCK = 0x00;

/**
 * GlobalPlatform card-management session over an asynchronous transport, in the spirit of GPPro's GPSession.
 * Run it round trip by round trip, or open the secure channel and then wrap a whole script with `wrapScript`.
 */
export class GpSession {
  private wrapper?: Scp03Wrapper;
  private staticKeys?: Scp03KeySet;

  constructor(
    private readonly transport: ApduTransport,
    readonly logicalChannel = 0,
  ) {}

  /** MANAGE CHANNEL [open] on the basic channel; the new session talks on the returned channel. */
  static async openLogicalChannel(transport: ApduTransport): Promise<GpSession> {
    const response = ResponseApdu.parse(await transport(buildManageChannelOpen().toBytes()));
    if (!response.isOk || response.data.length !== 1) {
      throw new CardStatusError('MANAGE CHANNEL [open]', response.sw);
    }
    return new GpSession(transport, response.data[0]);
  }

  async closeLogicalChannel(): Promise<void> {
    this.closeSecureChannel();
    await this.expectOk('MANAGE CHANNEL [close]', this.exchange(buildManageChannelClose(this.logicalChannel)));
  }

  /** SELECT [by name] ends any secure channel on this logical channel, on the card as here; warnings (6283) pass. */
  async select(aid?: Buffer): Promise<Buffer> {
    this.closeSecureChannel();
    const response = await this.transmit(buildSelect(aid));
    if (!response.isSuccessOrWarning) {
      throw new CardStatusError('SELECT', response.sw);
    }
    return response.data;
  }

  async openSecureChannel(options: OpenSecureChannelOptions): Promise<InitializeUpdateResponse> {
    this.closeSecureChannel();
    const host = new Scp03HostSession({ ...options, logicalChannel: this.logicalChannel });
    const cardInfo = host.checkInitializeUpdateResponse(await this.exchange(host.buildInitializeUpdate()));
    this.wrapper = host.confirmExternalAuthenticate(await this.exchange(host.buildExternalAuthenticate()));
    this.staticKeys = host.staticKeys;
    return cardInfo;
  }

  /** The static keys of the open channel (for data encrypted under the DEK, e.g. PUT KEY blocks). */
  get channelKeys(): Scp03KeySet {
    return this.requireStaticKeys();
  }

  closeSecureChannel(): void {
    this.wrapper = undefined;
    this.staticKeys = undefined;
  }

  /** Moves the command to this logical channel, wraps it, follows 61xx and unwraps the response. */
  async transmit(command: CommandApdu): Promise<ResponseApdu> {
    const onChannel = this.onChannel(command);
    const response = await this.exchange(this.wrapper ? this.wrapper.wrap(onChannel) : onChannel);
    return this.wrapper ? this.wrapper.unwrap(response) : response;
  }

  async transmitOk(operation: string, command: CommandApdu): Promise<Buffer> {
    return this.expectOk(operation, this.transmit(command));
  }

  /** Wraps every command of a script now; send them in order and pass the responses to `unwrapScriptResponses`. */
  wrapScript(commands: readonly CommandApdu[]): Buffer[] {
    return commands.map((command) => {
      const onChannel = this.onChannel(command);
      return (this.wrapper ? this.wrapper.wrap(onChannel) : onChannel).toBytes();
    });
  }

  unwrapScriptResponses(responses: readonly Buffer[]): ResponseApdu[] {
    return responses.map((bytes) => {
      const response = ResponseApdu.parse(bytes);
      return this.wrapper ? this.wrapper.unwrap(response) : response;
    });
  }

  /** PUT KEY of a whole keyset under the static DEK of the open channel; `replaceKvn` 00 adds. Returns KVN ‖ KCVs. */
  async putKeys(newKeys: Scp03KeySet, replaceKvn = 0): Promise<Buffer> {
    return this.transmitOk('PUT KEY', buildPutKey(newKeys, this.requireStaticKeys().dek, replaceKvn));
  }

  /** INSTALL [for personalization] of an SSD, then its first keyset as DGIs 00B9/8113 under this channel's DEK. */
  async personalizeKeySet(securityDomainAid: Buffer, keys: Scp03KeySet): Promise<void> {
    const data = buildKeySetDgis(keys, this.requireStaticKeys().dek);
    await this.personalize(securityDomainAid, data, { structure: 'dgi', encryption: 'application-dependent' });
  }

  async loadLoadFile(
    loadFileAid: Buffer,
    loadFileDataBlock: Buffer,
    options: { securityDomainAid?: Buffer; blockSize?: number } = {},
  ): Promise<void> {
    await this.transmitOk('INSTALL [for load]', buildInstallForLoad({ loadFileAid, securityDomainAid: options.securityDomainAid }));
    for (const command of buildLoadCommands(loadFileDataBlock, options.blockSize ?? MAX_SECURE_BLOCK)) {
      await this.transmitOk(`LOAD block ${command.p2}`, command);
    }
  }

  async installAndMakeSelectable(request: InstallForInstallRequest): Promise<void> {
    await this.transmitOk('INSTALL [for install and make selectable]', buildInstallForInstall(request, true));
  }

  async install(request: InstallForInstallRequest): Promise<void> {
    await this.transmitOk('INSTALL [for install]', buildInstallForInstall(request, false));
  }

  async makeSelectable(request: MakeSelectableRequest): Promise<void> {
    await this.transmitOk('INSTALL [for make selectable]', buildInstallForMakeSelectable(request));
  }

  async installForPersonalization(applicationAid: Buffer): Promise<void> {
    await this.transmitOk('INSTALL [for personalization]', buildInstallForPersonalization(applicationAid));
  }

  /** STORE DATA in numbered blocks; returns the response data of the last block. */
  async storeData(data: Buffer, flags: StoreDataFlags, blockSize = MAX_SECURE_BLOCK): Promise<Buffer> {
    let last: Buffer = Buffer.alloc(0);
    for (const command of buildStoreDataCommands(data, flags, blockSize)) {
      last = await this.transmitOk(`STORE DATA block ${command.p2}`, command);
    }
    return last;
  }

  async personalize(applicationAid: Buffer, data: Buffer, flags: StoreDataFlags): Promise<Buffer> {
    await this.installForPersonalization(applicationAid);
    return this.storeData(data, flags);
  }

  async setStatus(scope: number, state: number, aid?: Buffer): Promise<void> {
    await this.transmitOk('SET STATUS', buildSetStatus(scope, state, aid));
  }

  async lock(aid: Buffer, withApplications = false): Promise<void> {
    await this.setStatus(withApplications ? SetStatusScope.DOMAIN_AND_APPLICATIONS : SetStatusScope.APPLICATION, LOCK, aid);
  }

  async unlock(aid: Buffer, withApplications = false): Promise<void> {
    await this.setStatus(withApplications ? SetStatusScope.DOMAIN_AND_APPLICATIONS : SetStatusScope.APPLICATION, UNLOCK, aid);
  }

  async delete(aid: Buffer, related = false): Promise<void> {
    await this.transmitOk('DELETE', buildDeleteCardContent(aid, related));
  }

  async deleteKey(kvn: number, keyId?: number): Promise<void> {
    await this.transmitOk('DELETE [key]', buildDeleteKey(kvn, keyId));
  }

  /** GET STATUS, following 6310 with "next occurrence" until the registry subset is complete. */
  async getStatus(scope: number, aidPrefix?: Buffer): Promise<GpRegistryEntry[]> {
    const entries: GpRegistryEntry[] = [];
    let response = await this.transmit(buildGetStatus(scope, { aidPrefix }));
    while (response.sw === Sw.MORE_DATA_AVAILABLE) {
      entries.push(...parseGetStatusResponse(response.data, scope));
      response = await this.transmit(buildGetStatus(scope, { aidPrefix, next: true }));
    }
    if (response.sw === Sw.REFERENCED_DATA_NOT_FOUND && entries.length === 0) {
      return [];
    }
    if (!response.isOk) {
      throw new CardStatusError('GET STATUS', response.sw);
    }
    return [...entries, ...parseGetStatusResponse(response.data, scope)];
  }

  async getData(tag: number): Promise<Buffer> {
    return this.transmitOk('GET DATA', buildGetData(tag));
  }

  private onChannel(command: CommandApdu): CommandApdu {
    return command.with({ cla: claWithLogicalChannel(command.cla, this.logicalChannel) });
  }

  private async exchange(command: CommandApdu): Promise<ResponseApdu> {
    let response = ResponseApdu.parse(await this.transport(command.toBytes()));
    const chunks: Buffer[] = [];
    while (response.sw1 === 0x61) {
      chunks.push(response.data);
      const getResponse = buildGetResponse(this.logicalChannel, response.sw2 || 256);
      response = ResponseApdu.parse(await this.transport(getResponse.toBytes()));
    }
    return chunks.length === 0 ? response : new ResponseApdu(Buffer.concat([...chunks, response.data]), response.sw);
  }

  private async expectOk(operation: string, pending: Promise<ResponseApdu>): Promise<Buffer> {
    const response = await pending;
    if (!response.isOk) {
      throw new CardStatusError(operation, response.sw);
    }
    return response.data;
  }

  private requireStaticKeys(): Scp03KeySet {
    if (!this.staticKeys) {
      throw new GpError('no secure channel open: the static DEK is needed');
    }
    return this.staticKeys;
  }
}
