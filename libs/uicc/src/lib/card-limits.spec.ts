import {
  buildCapLoadFile,
  buildContentKeyDo,
  buildDeleteCardContent,
  buildGetData,
  buildGetStatus,
  buildInitializeUpdate,
  buildInstallForInstall,
  buildInstallForLoad,
  buildLoadCommands,
  buildPrivateKeyDo,
  buildPutKey,
  buildSelect,
  CommandApdu,
  fromHex,
  GetStatusScope,
  hex,
  JpkiAid,
  parseGetStatusResponse,
  Privileges,
  SecurityLevel,
} from '@jpki/globalplatform';
import {
  BER_TLV_ENCRYPTED,
  CONTENT_KEY_A,
  createSsd,
  handOver,
  inSession,
  installContentKey,
  installJpki,
  ISD_AID,
  JPKI_A,
  loadCommands,
  MNO_ISD_KEYS,
  newCard,
  openedSession,
  otaScripts,
  personalization,
  personalizeApplet,
  pkcs8,
  plain,
  refusal,
  rsaPool,
  SP_KEYS_A,
  SSD_A,
  sw,
  swOf,
  TEMP_KEYS_A,
} from '../test/fixtures';
import { VirtualUicc } from './virtual-uicc';

const WRONG_EXTERNAL_AUTHENTICATE = fromHex('8482010010' + '00'.repeat(16));

function failAuthentication(card: VirtualUicc, kvn: number): string {
  card.transmit(buildSelect(ISD_AID).toBytes());
  const initializeUpdate = sw(card.transmit(buildInitializeUpdate(kvn, Buffer.alloc(8, 7)).toBytes()));
  return initializeUpdate === '9000' ? sw(card.transmit(WRONG_EXTERNAL_AUTHENTICATE)) : initializeUpdate;
}

describe('failed secure channel authentication', () => {
  it('blocks the keyset after N consecutive wrong host cryptograms, for good', async () => {
    const card = newCard();
    for (let attempt = 0; attempt < 10; attempt++) {
      expect(failAuthentication(card, 0x30)).toBe('6300');
    }
    expect(failAuthentication(card, 0x30)).toBe('6983');
    expect(await swOf(inSession(card, ISD_AID, MNO_ISD_KEYS, []))).toBe(0x6983);
    card.reset();
    expect(await swOf(inSession(card, ISD_AID, MNO_ISD_KEYS, []))).toBe(0x6983);
    const reloaded = VirtualUicc.fromImage(JSON.parse(JSON.stringify(card.toImage())));
    expect(await swOf(inSession(reloaded, ISD_AID, MNO_ISD_KEYS, []))).toBe(0x6983);
  });

  it('counts only consecutive failures and honours a configured limit', async () => {
    const card = newCard({ maxFailedAuthentications: 3 });
    expect(failAuthentication(card, 0x30)).toBe('6300');
    expect(failAuthentication(card, 0x30)).toBe('6300');
    await inSession(card, ISD_AID, MNO_ISD_KEYS, []);
    expect(failAuthentication(card, 0x30)).toBe('6300');
    expect(failAuthentication(card, 0x30)).toBe('6300');
    expect(failAuthentication(card, 0x30)).toBe('6300');
    expect(failAuthentication(card, 0x30)).toBe('6983');
  });

  it('refuses INITIALIZE UPDATE once the sequence counter is exhausted, and for unknown keysets', () => {
    const image = newCard().toImage();
    const isd = image.registry.find((entry) => entry.kind === 'ISD');
    if (isd?.kind === 'ISD') {
      isd.keysets[0].sequenceCounter = 0xffffff;
    }
    const card = VirtualUicc.fromImage(image);
    expect(sw(card.transmit(buildInitializeUpdate(0x30, Buffer.alloc(8)).toBytes()))).toBe('6985');
    expect(sw(card.transmit(buildInitializeUpdate(0x3f, Buffer.alloc(8)).toBytes()))).toBe('6A88');
    expect(sw(card.transmit(fromHex('805030000401020304')))).toBe('6700');
  });

  it('EXTERNAL AUTHENTICATE without INITIALIZE UPDATE is refused', () => {
    const card = newCard();
    expect(sw(card.transmit(WRONG_EXTERNAL_AUTHENTICATE))).toBe('6985');
  });
});

describe('memory quota', () => {
  async function smallCard(quota: number): Promise<VirtualUicc> {
    const card = newCard({ memoryQuotaBytes: quota });
    await createSsd(card, SSD_A, TEMP_KEYS_A);
    await handOver(card, SSD_A, TEMP_KEYS_A, SP_KEYS_A);
    return card;
  }

  it('an INSTALL over quota answers 6A84 and changes nothing', async () => {
    const card = await smallCard(700);
    const request = { loadFileAid: JpkiAid.LOAD_FILE, moduleAid: JpkiAid.MODULE, applicationAid: JPKI_A, privileges: Privileges.of() };
    const ssd = await openedSession(card, SSD_A, SP_KEYS_A, [buildInstallForInstall(request)]);
    const before = card.toImage();
    expect((await otaScripts(card)(ssd.wrapped)).map(sw)).toEqual(['6A84']);
    expect(card.toImage()).toStrictEqual(before);
  });

  it('a key import over quota answers 6A84 and changes nothing', async () => {
    const card = await smallCard(2000);
    await installJpki(card, SSD_A, SP_KEYS_A, JPKI_A);
    await installContentKey(card);
    const [pair] = rsaPool();
    const commands = personalization(JPKI_A, buildPrivateKeyDo(pkcs8(pair), CONTENT_KEY_A, JPKI_A), BER_TLV_ENCRYPTED);
    const ssd = await openedSession(card, SSD_A, SP_KEYS_A, commands);
    const before = card.toImage();
    const answers = (await otaScripts(card)(ssd.wrapped)).map(sw);
    expect(answers).toEqual([...commands.slice(0, answers.length - 1).map(() => '9000'), '6A84']);
    expect(card.toImage()).toStrictEqual(before);
  });

  it('a key write over quota answers 6A84', async () => {
    const card = await smallCard(646);
    expect(await swOf(inSession(card, SSD_A, SP_KEYS_A, [buildPutKey(SP_KEYS_A.withKvn(0x32), SP_KEYS_A.dek)]))).toBe(0x6a84);
  });

  it('a LOAD over quota answers 6A84 and registers nothing', async () => {
    const card = await smallCard(1500);
    const pkg = fromHex('A0000005592001');
    const cap = buildCapLoadFile({ packageAid: pkg, version: { major: 1, minor: 0 }, appletAids: [] }, Buffer.alloc(2000, 0x11));
    expect(await swOf(inSession(card, SSD_A, SP_KEYS_A, loadCommands(pkg, cap)))).toBe(0x6a84);
    expect(card.toImage().registry.some((entry) => entry.aid === hex(pkg))).toBe(false);
  });
});

describe('LOAD of a load file', () => {
  const pkg = fromHex('A0000005592001');
  const module = fromHex('A000000559200101');
  const instance = fromHex('A00000055920010101');
  const cap = buildCapLoadFile({ packageAid: pkg, version: { major: 1, minor: 2 }, appletAids: [module] }, Buffer.alloc(700, 0x11));

  async function cardWithSsd(): Promise<VirtualUicc> {
    const card = newCard();
    await createSsd(card, SSD_A, TEMP_KEYS_A);
    await handOver(card, SSD_A, TEMP_KEYS_A, SP_KEYS_A);
    return card;
  }

  it('loads in blocks, installs an instance and deletes both with P2=80', async () => {
    const card = await cardWithSsd();
    const load = loadCommands(pkg, cap, 200);
    const install = buildInstallForInstall({ loadFileAid: pkg, moduleAid: module, applicationAid: instance, privileges: Privileges.of() });
    const ssd = await inSession(card, SSD_A, SP_KEYS_A, [...load, buildGetStatus(GetStatusScope.LOAD_FILES_AND_MODULES), install], {
      level: SecurityLevel.C_DECRYPTION_C_MAC_R_MAC,
    });
    expect(load.length).toBeGreaterThan(3);
    const [loaded] = parseGetStatusResponse(ssd.data[load.length], GetStatusScope.LOAD_FILES_AND_MODULES);
    expect(loaded).toMatchObject({ kind: 'ELF', lifeCycle: 0x01 });
    expect(hex(loaded.version ?? Buffer.alloc(0))).toBe('0102');
    expect(hex(loaded.associatedSdAid ?? Buffer.alloc(0))).toBe(hex(SSD_A));
    expect(sw(card.transmit(buildSelect(instance, 0).toBytes()))).toBe('9000');
    expect(sw(card.transmit(fromHex('80100000')))).toBe('6D00');
    expect(await swOf(inSession(card, SSD_A, SP_KEYS_A, [buildDeleteCardContent(pkg)]))).toBe(0x6985);
    await inSession(card, SSD_A, SP_KEYS_A, [buildDeleteCardContent(pkg, true)]);
    expect(card.toImage().registry.some((entry) => entry.aid === hex(pkg) || entry.aid === hex(instance))).toBe(false);
  });

  it('rejects LOAD out of sequence, without INSTALL [for load], or for another package', async () => {
    const card = await cardWithSsd();
    const blocks = buildLoadCommands(cap, 200);
    const refused = (commands: CommandApdu[]) => refusal(card, SSD_A, SP_KEYS_A, commands);
    expect(await refused([blocks[0]])).toEqual({ at: 0, sw: 0x6985 });
    expect(await refused([buildInstallForLoad({ loadFileAid: pkg }), blocks[1]])).toEqual({ at: 1, sw: 0x6a86 });
    expect(await refused([buildInstallForLoad({ loadFileAid: fromHex('A0000005592099') }), ...blocks])).toEqual({ at: blocks.length, sw: 0x6a80 });
    expect(await refused([buildInstallForLoad({ loadFileAid: JpkiAid.LOAD_FILE })])).toEqual({ at: 0, sw: 0x6a80 });
  });

  it('ROM load files cannot be deleted', async () => {
    const card = newCard();
    expect(await swOf(inSession(card, ISD_AID, MNO_ISD_KEYS, [buildDeleteCardContent(JpkiAid.LOAD_FILE)]))).toBe(0x6985);
    expect(await swOf(plain(card, [buildGetData(0x66)]))).toBe(0x6982);
  });
});

describe('content key delivery', () => {
  it('a content key under the wrong DEK fails its KCV with 6982', async () => {
    const card = newCard();
    await createSsd(card, SSD_A, TEMP_KEYS_A);
    await handOver(card, SSD_A, TEMP_KEYS_A, SP_KEYS_A);
    await installJpki(card, SSD_A, SP_KEYS_A, JPKI_A);
    await expect(personalizeApplet(card, buildContentKeyDo(CONTENT_KEY_A, TEMP_KEYS_A.dek))).rejects.toMatchObject({ sw: 0x6982 });
  });
});
