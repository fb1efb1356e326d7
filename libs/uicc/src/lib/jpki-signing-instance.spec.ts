import { verify as verifySignature } from 'node:crypto';
import {
  buildChangeReferenceData,
  buildGenerateKeyPair,
  buildSign,
  buildVerify,
  CommandApdu,
  encodeTlv,
  Ins,
  JPKI_PIN_RULES,
  JpkiAid,
  JpkiTag,
  publicKeyFromTemplate,
  SecurityLevel,
  buildSelect,
} from '@jpki/globalplatform';
import { sha256DigestInfo } from '@jpki/pki';
import {
  BER_TLV_PLAIN,
  CERTIFICATE,
  deliverKeyAndCertificate,
  type HandsetChannel,
  handsetChannel,
  inApplet,
  installJpki,
  personalizeApplet,
  provisionedCard,
  rsaPool,
  SP_KEYS_A,
  SSD_A,
} from '../test/fixtures';
import { VirtualUicc } from './virtual-uicc';

const SIGNING = JPKI_PIN_RULES.signing;
const SIGNING_AID = JpkiAid.SIGNING_INSTANCE;
const DOCUMENT = Buffer.from('e-application: change of address');
const PASSWORD = 'SIGN2024PASS';

/** The user-authentication instance (PIN 1234, key and certificate) and the signing instance beside it in the SSD. */
async function cardWithBothKeys(): Promise<{ card: VirtualUicc; signingKey: ReturnType<typeof publicKeyFromTemplate> }> {
  const card = await provisionedCard();
  const [pair] = rsaPool();
  await deliverKeyAndCertificate(card, pair);
  handsetChannel(card).transmitOk('set PIN', buildChangeReferenceData('1234'));
  await installJpki(card, SSD_A, SP_KEYS_A, SIGNING_AID, 'signing');
  const generated = await inApplet(card, [buildGenerateKeyPair()], { aid: SIGNING_AID, long: true });
  const signingKey = publicKeyFromTemplate(generated.data[0]);
  return { card, signingKey };
}

/** The certificate write the SP does after issuance; the signing instance signs only once certified. */
async function certify(card: VirtualUicc): Promise<void> {
  await personalizeApplet(card, encodeTlv(JpkiTag.CERTIFICATE, CERTIFICATE), { level: SecurityLevel.C_MAC, flags: BER_TLV_PLAIN, appletAid: SIGNING_AID });
}

const raw = (ins: number, p1: number, p2: number, data: string) => new CommandApdu(0x00, ins, p1, p2, Buffer.from(data, 'latin1'));
const triesLeft = (handset: HandsetChannel) => handset.transmit(buildVerify(undefined, SIGNING)).sw;

describe('JPKI applet: the signing instance (phone signing certificate)', () => {
  it('takes a 6–16 character upper-case alphanumeric password with 5 tries, and signs with its own key after it', async () => {
    const { card, signingKey } = await cardWithBothKeys();
    await certify(card);
    const handset = handsetChannel(card, SIGNING_AID);
    expect(handset.transmit(raw(Ins.CHANGE_REFERENCE_DATA, 0x01, SIGNING.reference, 'abc123')).sw).toBe(0x6a80);
    handset.transmitOk('set password', buildChangeReferenceData(PASSWORD, undefined, SIGNING));
    expect(triesLeft(handset)).toBe(0x63c5);
    for (const expected of [0x63c4, 0x63c3]) {
      expect(handset.transmit(buildVerify('WRONG0PASS', SIGNING)).sw).toBe(expected);
    }
    expect(handset.transmit(buildSign(sha256DigestInfo(DOCUMENT))).sw).toBe(0x6982);
    handset.transmitOk('VERIFY', buildVerify(PASSWORD, SIGNING));
    expect(triesLeft(handset)).toBe(0x9000);
    const signature = handset.transmitOk('SIGN', buildSign(sha256DigestInfo(DOCUMENT)));
    expect(verifySignature('sha256', DOCUMENT, signingKey, signature)).toBe(true);
  });

  it('changes the password with CHANGE REFERENCE DATA (current and new, each padded to 16 bytes)', async () => {
    const { card } = await cardWithBothKeys();
    const handset = handsetChannel(card, SIGNING_AID);
    handset.transmitOk('set password', buildChangeReferenceData(PASSWORD, undefined, SIGNING));
    expect(handset.transmit(buildChangeReferenceData('NEWPASS99', 'WRONG0PASS', SIGNING)).sw).toBe(0x63c4);
    handset.transmitOk('change', buildChangeReferenceData('NEWPASS99', PASSWORD, SIGNING));
    expect(handset.transmit(buildVerify(PASSWORD, SIGNING)).sw).toBe(0x63c4);
    handset.transmitOk('VERIFY new', buildVerify('NEWPASS99', SIGNING));
  });

  describe('attack: the signing key with the user-authentication PIN', () => {
    it('the PIN reference of the user-authentication key is not found at the signing key (6A88), and no try is spent', async () => {
      const { card } = await cardWithBothKeys();
      await certify(card);
      const handset = handsetChannel(card, SIGNING_AID);
      handset.transmitOk('set password', buildChangeReferenceData(PASSWORD, undefined, SIGNING));
      expect(handset.transmit(buildVerify('1234')).sw).toBe(0x6a88);
      expect(handset.transmit(raw(Ins.VERIFY, 0x00, SIGNING.reference, '1234')).sw).toBe(0x6a80);
      expect(triesLeft(handset)).toBe(0x63c5);
      expect(handset.transmit(buildSign(sha256DigestInfo(DOCUMENT))).sw).toBe(0x6982);
    });

    it('a PIN verified at the user-authentication key does not unlock the signing key, on the same or another channel', async () => {
      const { card } = await cardWithBothKeys();
      await certify(card);
      const authentication = handsetChannel(card);
      authentication.transmitOk('VERIFY PIN', buildVerify('1234'));
      const other = handsetChannel(card, SIGNING_AID);
      expect(other.transmit(buildSign(sha256DigestInfo(DOCUMENT))).sw).toBe(0x6982);
      authentication.transmitOk('SELECT', buildSelect(SIGNING_AID));
      expect(authentication.transmit(buildSign(sha256DigestInfo(DOCUMENT))).sw).toBe(0x6982);
    });
  });

  it('blocks after 5 wrong passwords (6983) while the user-authentication PIN keeps working', async () => {
    const { card } = await cardWithBothKeys();
    const handset = handsetChannel(card, SIGNING_AID);
    handset.transmitOk('set password', buildChangeReferenceData(PASSWORD, undefined, SIGNING));
    const answers: number[] = [];
    for (let i = 0; i < 5; i++) answers.push(handset.transmit(buildVerify('WRONG0PASS', SIGNING)).sw);
    expect(answers).toEqual([0x63c4, 0x63c3, 0x63c2, 0x63c1, 0x6983]);
    expect(handset.transmit(buildVerify(PASSWORD, SIGNING)).sw).toBe(0x6983);
    handsetChannel(card).transmitOk('VERIFY PIN', buildVerify('1234'));
  });
});
