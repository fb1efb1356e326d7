import { isDeepStrictEqual } from 'node:util';
import {
  CardLifeCycle,
  claHasSecureMessaging,
  claIsChained,
  claIsProprietary,
  claIsValid,
  claLogicalChannel,
  CommandApdu,
  GpError,
  hex,
  Ins,
  isDefinedSw,
  isSelectableState,
  isLocked,
  ManageChannelP1,
  ResponseApdu,
  Scp03KeySet,
  SecurityDomainLifeCycle,
  SelectP1,
  Sw,
  sw61xx,
  SwError,
  DEFAULT_SCP03_I,
} from '@jpki/globalplatform';
import { CardContext, fail } from './card-context';
import { CARD_IMAGE_FORMAT, CardImage, cloneImage, validateCardImage } from './card-image';
import { ChannelState, MAX_CHANNELS, newChannel, startApplicationSession } from './channel-state';
import { processApplication } from './jpki-applet';
import { generateRsaKeyPair, RsaKeyPairFactory } from './key-pair-factory';
import { newKeysetRecord } from './keysets';
import { memoryUsed } from './memory';
import { DEFAULT_ISD_AID, ISD_PRIVILEGES, preloadedLoadFiles, SecurityDomainPackage } from './preloaded-content';
import { Registry } from './registry';
import { processSecurityDomain, securityDomainFci } from './security-domain';

export interface ManufactureOptions {
  /**
   * The card's identifier: a UICC's ICCID (18-20 digits) or an embedded SE's SEID (`E5` and 18 hex digits, its 10-byte
   * card identification). The KDD defaults to it as bytes: the ICCID in BCD padded with F, the SEID as it is.
   */
  readonly iccid: string;
  readonly isdAid?: Buffer;
  readonly isdKeyset: Scp03KeySet;
  readonly memoryQuotaBytes: number;
  /** Consecutive wrong host cryptograms before a keyset answers 6983 for good (default 10). */
  readonly maxFailedAuthentications?: number;
  readonly kdd?: Buffer;
}

export interface CardRuntimeOptions {
  readonly keyPairFactory?: RsaKeyPairFactory;
}

export const DEFAULT_MAX_FAILED_AUTHENTICATIONS = 10;

/**
 * A virtual UICC: GlobalPlatform card manager (ISD, SSDs, registry, SCP03 card side) hosting JPKI applets.
 * `transmit` never throws; every APDU either commits a new image revision or leaves the image untouched.
 */
export class VirtualUicc {
  private image: CardImage;
  private readonly channels = new Map<number, ChannelState>();
  private readonly keyPairFactory: RsaKeyPairFactory;
  private dirty = false;

  private constructor(image: CardImage, runtime: CardRuntimeOptions) {
    this.image = image;
    this.keyPairFactory = runtime.keyPairFactory ?? generateRsaKeyPair;
    this.reset();
  }

  static manufacture(options: ManufactureOptions, runtime: CardRuntimeOptions = {}): VirtualUicc {
    if (!/^([0-9]{18,20}|E5[0-9A-F]{18})$/.test(options.iccid)) {
      throw new GpError(`card identifier must be an ICCID (18-20 digits) or an eSE SEID (E5 and 18 hex digits): ${options.iccid}`);
    }
    const isdAid = hex(options.isdAid ?? DEFAULT_ISD_AID);
    const image: CardImage = {
      format: CARD_IMAGE_FORMAT,
      revision: 0,
      iccid: options.iccid,
      cardLifeCycle: CardLifeCycle.SECURED,
      kdd: hex(options.kdd ?? Buffer.from(options.iccid.padEnd(20, 'F'), 'hex')),
      maxFailedAuthentications: options.maxFailedAuthentications ?? DEFAULT_MAX_FAILED_AUTHENTICATIONS,
      memoryQuotaBytes: options.memoryQuotaBytes,
      registry: [
        {
          kind: 'ISD',
          aid: isdAid,
          lifeCycle: SecurityDomainLifeCycle.PERSONALIZED,
          associatedSd: null,
          privileges: hex(ISD_PRIVILEGES.toBytes()),
          loadFile: hex(SecurityDomainPackage.LOAD_FILE),
          module: hex(SecurityDomainPackage.MODULE),
          installParameters: '',
          scpOptions: DEFAULT_SCP03_I,
          keysets: [newKeysetRecord(options.isdKeyset)],
        },
        ...preloadedLoadFiles(isdAid),
      ],
    };
    return new VirtualUicc(cloneImage(image), runtime);
  }

  /** Reloads persistent state only: channels, secure channels and PIN verification start afresh. */
  static fromImage(image: CardImage, runtime: CardRuntimeOptions = {}): VirtualUicc {
    return new VirtualUicc(cloneImage(validateCardImage(image)), runtime);
  }

  get iccid(): string {
    return this.image.iccid;
  }

  get revision(): number {
    return this.image.revision;
  }

  /** True once an APDU committed a change that has not been acknowledged with `markClean`. */
  get isDirty(): boolean {
    return this.dirty;
  }

  markClean(): void {
    this.dirty = false;
  }

  toImage(): CardImage {
    return cloneImage(this.image);
  }

  /** Power cycle: all transient state goes, the ISD is selected on the basic channel. */
  reset(): void {
    this.channels.clear();
    this.channels.set(0, newChannel(new Registry(this.image.registry).isd().aid));
  }

  transmit(apdu: Uint8Array): Buffer {
    try {
      return this.process(CommandApdu.parse(apdu)).toBytes();
    } catch (error) {
      const sw = error instanceof SwError && isDefinedSw(error.sw) ? error.sw : Sw.NO_PRECISE_DIAGNOSIS;
      return ResponseApdu.status(sw).toBytes();
    }
  }

  private process(command: CommandApdu): ResponseApdu {
    const channel = this.routeToChannel(command);
    if (this.image.cardLifeCycle === CardLifeCycle.TERMINATED) {
      fail(Sw.FUNCTION_NOT_SUPPORTED, 'card is TERMINATED');
    }
    if (command.ins === Ins.GET_RESPONSE && !claIsProprietary(command.cla)) {
      return this.getResponse(channel, command);
    }
    channel.pendingResponse = undefined;
    const draft = cloneImage(this.image);
    const ctx: CardContext = {
      image: draft,
      registry: new Registry(draft.registry),
      channel,
      channelNumber: claLogicalChannel(command.cla),
      channels: this.channels,
      keyPairFactory: this.keyPairFactory,
    };
    const response = this.dispatch(ctx, command);
    this.commit(draft);
    return this.deliver(channel, response, command.ne);
  }

  private routeToChannel(command: CommandApdu): ChannelState {
    if (!claIsValid(command.cla)) {
      fail(Sw.CLA_NOT_SUPPORTED);
    }
    if (claIsChained(command.cla)) {
      fail(Sw.COMMAND_CHAINING_NOT_SUPPORTED);
    }
    const invalidIns = (command.ins & 0xf0) === 0x60 || (command.ins & 0xf0) === 0x90;
    if (invalidIns) {
      fail(Sw.INS_NOT_SUPPORTED);
    }
    const channel = this.channels.get(claLogicalChannel(command.cla));
    return channel ?? fail(Sw.LOGICAL_CHANNEL_NOT_SUPPORTED, 'logical channel not open');
  }

  private dispatch(ctx: CardContext, command: CommandApdu): ResponseApdu {
    if (!claIsProprietary(command.cla) && command.ins === Ins.MANAGE_CHANNEL) {
      return this.manageChannel(command);
    }
    if (!claIsProprietary(command.cla) && command.ins === Ins.SELECT && command.p1 === SelectP1.BY_NAME) {
      return this.select(ctx, command);
    }
    const selected = ctx.registry.find(ctx.channel.selected);
    if (!selected || selected.kind === 'ELF') {
      return fail(Sw.COMMAND_NOT_ALLOWED, 'no application selected');
    }
    if (ctx.image.cardLifeCycle === CardLifeCycle.CARD_LOCKED && selected.kind !== 'ISD') {
      fail(Sw.FUNCTION_NOT_SUPPORTED, 'card is CARD_LOCKED');
    }
    if (isLocked(selected.lifeCycle)) {
      fail(Sw.CONDITIONS_OF_USE_NOT_SATISFIED, 'selected application is LOCKED');
    }
    return selected.kind === 'APP' ? processApplication(ctx, selected, command) : processSecurityDomain(ctx, selected, command);
  }

  /** SELECT [by name], exact match; LOCKED or INSTALLED entries are not found (GPC §6.4.2.1). */
  private select(ctx: CardContext, command: CommandApdu): ResponseApdu {
    if (claHasSecureMessaging(command.cla)) {
      fail(Sw.SECURE_MESSAGING_NOT_SUPPORTED);
    }
    if (command.p2 !== 0x00) {
      fail(Sw.INCORRECT_P1P2, 'only SELECT [first or only occurrence] is supported');
    }
    const isd = ctx.registry.isd();
    const target = command.data.length === 0 ? isd : ctx.registry.find(hex(command.data));
    if (!target || target.kind === 'ELF' || !isSelectableState(target.lifeCycle)) {
      fail(Sw.FILE_NOT_FOUND, 'application not found');
    }
    const cardLocked = ctx.image.cardLifeCycle === CardLifeCycle.CARD_LOCKED;
    if (cardLocked && target !== isd) {
      fail(Sw.FUNCTION_NOT_SUPPORTED, 'card is CARD_LOCKED');
    }
    startApplicationSession(ctx.channel, target.aid);
    const fci = target.kind === 'APP' ? Buffer.alloc(0) : securityDomainFci(target);
    return new ResponseApdu(fci, cardLocked ? Sw.WARNING_CARD_LOCKED : Sw.OK);
  }

  private manageChannel(command: CommandApdu): ResponseApdu {
    if (claHasSecureMessaging(command.cla)) {
      fail(Sw.SECURE_MESSAGING_NOT_SUPPORTED);
    }
    const isdAid = new Registry(this.image.registry).isd().aid;
    if (command.p1 === ManageChannelP1.OPEN && command.p2 === 0x00) {
      const free = [1, 2, 3].find((number) => !this.channels.has(number));
      if (free === undefined) {
        fail(Sw.FUNCTION_NOT_SUPPORTED, 'no logical channel available');
      }
      this.channels.set(free, newChannel(isdAid));
      return ResponseApdu.ok(Buffer.from([free]));
    }
    if (command.p1 === ManageChannelP1.CLOSE && command.p2 > 0) {
      if (command.p2 >= MAX_CHANNELS || !this.channels.has(command.p2)) {
        fail(Sw.LOGICAL_CHANNEL_NOT_SUPPORTED, 'logical channel not open');
      }
      this.channels.delete(command.p2);
      return ResponseApdu.ok();
    }
    return fail(Sw.INCORRECT_P1P2);
  }

  /** The quota check covers every command: a change that needs more memory than is free is refused whole. */
  private commit(draft: CardImage): void {
    if (isDeepStrictEqual(draft, this.image)) {
      return;
    }
    const used = memoryUsed(draft);
    if (used > draft.memoryQuotaBytes && used > memoryUsed(this.image)) {
      fail(Sw.NOT_ENOUGH_MEMORY, 'memory quota exceeded');
    }
    draft.revision = this.image.revision + 1;
    this.image = draft;
    this.dirty = true;
  }

  /** Responses longer than Ne (256 without Le) are handed out with 61xx and GET RESPONSE. */
  private deliver(channel: ChannelState, response: ResponseApdu, ne: number | undefined): ResponseApdu {
    const limit = ne ?? 256;
    if (response.data.length <= limit) {
      return response;
    }
    const rest = response.data.subarray(limit);
    channel.pendingResponse = { data: rest, sw: response.sw };
    return new ResponseApdu(response.data.subarray(0, limit), sw61xx(rest.length));
  }

  private getResponse(channel: ChannelState, command: CommandApdu): ResponseApdu {
    const pending = channel.pendingResponse;
    channel.pendingResponse = undefined;
    if (!pending) {
      fail(Sw.CONDITIONS_OF_USE_NOT_SATISFIED, 'no response data pending');
    }
    if (command.p1 !== 0x00 || command.p2 !== 0x00) {
      fail(Sw.INCORRECT_P1P2);
    }
    return this.deliver(channel, new ResponseApdu(pending.data, pending.sw), command.ne);
  }
}
