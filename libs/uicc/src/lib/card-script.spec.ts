import {
  buildGenerateKeyPair,
  buildGetStatus,
  buildPutKey,
  CardScript,
  GetStatusScope,
  parsePublicKeyTemplate,
  ScriptStopped,
  SecureChannelError,
  SecurityLevel,
  SequenceCounterMismatch,
  Sw,
} from '@jpki/globalplatform';
import { createSsd, inSession, JPKI_A, newCard, otaScripts, provisionedCard, SP_KEYS_A, SSD_A, swOf, TEMP_KEYS_A } from '../test/fixtures';

const LEVEL = SecurityLevel.C_DECRYPTION_C_MAC_R_MAC;

describe('CardScript: a whole card operation as one OTA script', () => {
  it('hands the SSD over and proves the new keys in one round trip, predicting both card challenges', async () => {
    const card = newCard();
    await createSsd(card, SSD_A, TEMP_KEYS_A);
    const ota = otaScripts(card);
    const script = new CardScript();
    script.select(SSD_A);
    const handover = script.session(SSD_A, { keys: TEMP_KEYS_A, securityLevel: LEVEL, sequenceCounter: 1 }, [buildPutKey(SP_KEYS_A, TEMP_KEYS_A.dek, TEMP_KEYS_A.kvn)]);
    const proof = script.session(SSD_A, { keys: SP_KEYS_A, securityLevel: LEVEL, sequenceCounter: 1 }, []);

    await script.run(ota);

    expect(ota.roundTrips).toBe(1);
    const kcvs = SP_KEYS_A.kcvs();
    expect(handover.data[0]).toEqual(Buffer.concat([Buffer.from([SP_KEYS_A.kvn]), kcvs.enc, kcvs.mac, kcvs.dek]));
    expect([handover.sequenceCounter, proof.sequenceCounter]).toEqual([1, 1]);
  });

  it('reads a long response (on-card key generation) with the GET RESPONSE planned after it', async () => {
    const card = await provisionedCard();
    const ota = otaScripts(card);
    const script = new CardScript();
    script.select(JPKI_A);
    const generated = script.session(JPKI_A, { keys: SP_KEYS_A, securityLevel: SecurityLevel.C_MAC_R_MAC, sequenceCounter: 3 }, [buildGenerateKeyPair()], true);

    await script.run(ota);

    expect(ota.roundTrips).toBe(1);
    expect(parsePublicKeyTemplate(generated.data[0]).modulus.length).toBe(256);
  });

  it('a wrong counter costs one refused EXTERNAL AUTHENTICATE and names the counter the card used', async () => {
    const card = await provisionedCard();
    const script = new CardScript();
    script.select(SSD_A);
    script.session(SSD_A, { keys: SP_KEYS_A, securityLevel: LEVEL, sequenceCounter: 7 }, [buildGetStatus(GetStatusScope.APPLICATIONS)]);

    const error = await script.run(otaScripts(card)).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(SequenceCounterMismatch);
    expect((error as SequenceCounterMismatch).actual).toBe(3);
    const retry = new CardScript();
    retry.select(SSD_A);
    const status = retry.session(SSD_A, { keys: SP_KEYS_A, securityLevel: LEVEL, sequenceCounter: 4 }, [buildGetStatus(GetStatusScope.APPLICATIONS)]);
    await retry.run(otaScripts(card));
    expect(status.data[0].length).toBeGreaterThan(0);
  });

  it('a forwarder that alters a wrapped command is refused by the card, and the keyset stays as it was', async () => {
    const card = newCard();
    await createSsd(card, SSD_A, TEMP_KEYS_A);
    const putKeyIndex = 3;
    const flipLastDataByte = (apdu: Buffer, i: number) => (i === putKeyIndex ? Buffer.concat([apdu.subarray(0, -2), Buffer.from([apdu[apdu.length - 2] ^ 1]), apdu.subarray(-1)]) : apdu);
    const script = new CardScript();
    script.select(SSD_A);
    script.session(SSD_A, { keys: TEMP_KEYS_A, securityLevel: LEVEL, sequenceCounter: 1 }, [buildPutKey(SP_KEYS_A, TEMP_KEYS_A.dek, TEMP_KEYS_A.kvn)]);

    const error = await script.run(otaScripts(card, flipLastDataByte)).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ScriptStopped);
    expect((error as ScriptStopped).sw).toBe(Sw.SECURITY_STATUS_NOT_SATISFIED);
    expect(await swOf(inSession(card, SSD_A, TEMP_KEYS_A, []))).toBe(Sw.OK);
    expect(await swOf(inSession(card, SSD_A, SP_KEYS_A, []))).toBe(Sw.REFERENCED_DATA_NOT_FOUND);
  });

  it('a card answering with other keys fails the card cryptogram check', async () => {
    const card = newCard();
    await createSsd(card, SSD_A, TEMP_KEYS_A);
    const script = new CardScript();
    script.select(SSD_A);
    script.session(SSD_A, { keys: SP_KEYS_A.withKvn(TEMP_KEYS_A.kvn), securityLevel: LEVEL, sequenceCounter: 1 }, []);

    await expect(script.run(otaScripts(card))).rejects.toThrow(SecureChannelError);
  });
});
