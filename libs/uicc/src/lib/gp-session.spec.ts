import {
  buildGenerateKeyPair,
  buildInstallForInstall,
  buildInstallForPersonalization,
  buildInstallParameters,
  buildSelect,
  buildKeySetDgis,
  buildStoreDataCommands,
  GetStatusScope,
  GpSession,
  hex,
  InitializeUpdateResponse,
  JpkiAid,
  Privileges,
  parsePublicKeyTemplate,
  Scp03KeySet,
  SecurityLevel,
} from '@jpki/globalplatform';
import {
  appletSession,
  connect,
  createSsd,
  ICCID,
  ISD_AID,
  MNO_ISD_KEYS,
  newCard,
  JPKI_A,
  provisionedCard,
  secureSession,
  SSD_A,
  SSD_B,
  SSD_PARAMETERS,
  SSD_PRIVILEGES,
  SP_KEYS_A,
  sw,
  TEMP_KEYS_A,
  TEMP_KEYS_B,
} from '../test/fixtures';
import { SecurityDomainPackage } from './preloaded-content';
import { VirtualUicc } from './virtual-uicc';

/** The MNO creates an SSD whose install parameters announce SCP03 with i = 71 (S16 mode) and gives it temporary keys. */
async function s16Ssd(): Promise<VirtualUicc> {
  const card = newCard();
  await createSsd(card, SSD_A, TEMP_KEYS_A, buildInstallParameters({ securityDomain: { scpId: 0x03, i: 0x71 } }));
  return card;
}

async function openS16(card: VirtualUicc, keys: Scp03KeySet): Promise<{ session: GpSession; info: InitializeUpdateResponse }> {
  const session = connect(card);
  await session.select(SSD_A);
  const info = await session.openSecureChannel({ keys, securityLevel: SecurityLevel.C_DECRYPTION_R_ENCRYPTION_C_MAC_R_MAC, sMode: 16, challengeAid: SSD_A });
  return { session, info };
}

describe('GpSession against the virtual UICC', () => {
  it('runs the SSD creation as one pre-wrapped script after authentication', async () => {
    const scripted = newCard();
    const isd = await secureSession(scripted, ISD_AID, MNO_ISD_KEYS, SecurityLevel.C_DECRYPTION_C_MAC_R_MAC);
    const install = buildInstallForInstall({
      loadFileAid: SecurityDomainPackage.LOAD_FILE,
      moduleAid: SecurityDomainPackage.MODULE,
      applicationAid: SSD_A,
      privileges: SSD_PRIVILEGES,
      installParameters: SSD_PARAMETERS,
    });
    const keyData = buildKeySetDgis(TEMP_KEYS_A, MNO_ISD_KEYS.dek);
    const script = [install, buildInstallForPersonalization(SSD_A), ...buildStoreDataCommands(keyData, { structure: 'dgi', encryption: 'application-dependent' })];
    const wrapped = isd.wrapScript(script);
    const responses = isd.unwrapScriptResponses(wrapped.map((command) => scripted.transmit(command)));
    expect(responses.map((response) => response.sw)).toEqual(script.map(() => 0x9000));

    const stepwise = newCard();
    await createSsd(stepwise, SSD_A, TEMP_KEYS_A);
    const ssdOf = (card: typeof stepwise) => card.toImage().registry.find((entry) => entry.aid === hex(SSD_A));
    expect(ssdOf(scripted)).toEqual(ssdOf(stepwise));
  });

  it('opens the secure channel with keys diversified from a master key (KDF3 template)', async () => {
    const master = Buffer.alloc(16, 0x77);
    const kdd = Buffer.from(ICCID.padEnd(20, 'F'), 'hex');
    const card = newCard({ isdKeyset: Scp03KeySet.diversifyKdf3(0x30, master, kdd) });
    const session = connect(card);
    await session.select(ISD_AID);
    const info = await session.openSecureChannel({
      keys: (cardKdd, kvn) => Scp03KeySet.diversifyKdf3(kvn, master, cardKdd),
      securityLevel: SecurityLevel.C_MAC,
      challengeAid: ISD_AID,
    });
    expect(hex(info.kdd)).toBe(hex(kdd));
    expect(await session.getStatus(GetStatusScope.ISSUER_SECURITY_DOMAIN)).toHaveLength(1);
  });

  it('an SSD installed with i = 71 runs SCP03 in S16 mode: key handover, applet install, and the mode survives a reload', async () => {
    const card = await s16Ssd();
    const temporary = await openS16(card, TEMP_KEYS_A);
    expect(temporary.info).toMatchObject({ i: 0x71, kvn: TEMP_KEYS_A.kvn });
    expect(temporary.info.cardChallenge).toHaveLength(16);
    await temporary.session.putKeys(SP_KEYS_A, TEMP_KEYS_A.kvn);

    const reloaded = VirtualUicc.fromImage(card.toImage());
    const sp = await openS16(reloaded, SP_KEYS_A);
    await sp.session.installAndMakeSelectable({ loadFileAid: JpkiAid.LOAD_FILE, moduleAid: JpkiAid.MODULE, applicationAid: JPKI_A, privileges: Privileges.of() });
    expect((await sp.session.getStatus(GetStatusScope.APPLICATIONS)).map((entry) => hex(entry.aid))).toContain(hex(JPKI_A));
  });

  it('an S8 host on an S16 security domain gets 6700 and costs no authentication try', async () => {
    const card = await s16Ssd();
    const session = connect(card);
    await session.select(SSD_A);
    await expect(session.openSecureChannel({ keys: TEMP_KEYS_A, securityLevel: SecurityLevel.C_MAC })).rejects.toMatchObject({ sw: 0x6700 });
    const ssd = card.toImage().registry.find((entry) => entry.aid === hex(SSD_A));
    expect(ssd?.kind === 'SSD' && ssd.keysets.map((k) => k.failedAuthentications)).toEqual([0]);
    expect(sw(card.transmit(buildSelect(SSD_A).toBytes()))).toBe('9000');
    await expect(openS16(card, TEMP_KEYS_A)).resolves.toBeDefined();
  });

  it('keeps independent secure channels on different logical channels', async () => {
    const card = newCard();
    await createSsd(card, SSD_A, TEMP_KEYS_A);
    await createSsd(card, SSD_B, TEMP_KEYS_B);
    const basic = await secureSession(card, SSD_A, TEMP_KEYS_A);
    const other = await GpSession.openLogicalChannel(async (command) => card.transmit(command));
    expect(other.logicalChannel).toBe(1);
    await other.select(SSD_B);
    await other.openSecureChannel({ keys: TEMP_KEYS_B, securityLevel: SecurityLevel.C_MAC_R_MAC });
    expect((await basic.getStatus(GetStatusScope.APPLICATIONS, SSD_A)).length).toBe(0);
    expect((await other.getStatus(GetStatusScope.APPLICATIONS, SSD_B)).length).toBe(0);
    await other.closeLogicalChannel();
    expect(sw(card.transmit(Buffer.from('01A4040000', 'hex')))).toBe('6881');
  });

  it('follows 61xx with GET RESPONSE for long protected responses', async () => {
    const card = await provisionedCard();
    const sp = await appletSession(card, undefined, undefined, SecurityLevel.C_DECRYPTION_R_ENCRYPTION_C_MAC_R_MAC);
    const [wrapped] = sp.wrapScript([buildGenerateKeyPair()]);
    const first = card.transmit(wrapped);
    expect(sw(first).startsWith('61')).toBe(true);
    const rest = card.transmit(Buffer.from('00C0000000', 'hex'));
    expect(sw(rest)).toBe('9000');
    const [response] = sp.unwrapScriptResponses([Buffer.concat([first.subarray(0, -2), rest])]);
    expect(parsePublicKeyTemplate(response.data).modulus).toHaveLength(256);
    expect(sw(card.transmit(Buffer.from('00C0000000', 'hex')))).toBe('6985');
    const again = await appletSession(card);
    expect(parsePublicKeyTemplate(await again.transmitOk('GENERATE', buildGenerateKeyPair())).exponent.toString('hex')).toBe('010001');
  });
});
