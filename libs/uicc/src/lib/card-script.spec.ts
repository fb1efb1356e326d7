import {
  buildGenerateKeyPair,
  buildGetStatus,
  buildPutKey,
  CardScript,
  GetStatusScope,
  KeysetScripts,
  parsePublicKeyTemplate,
  ScriptStopped,
  SecureChannelError,
  SecurityLevel,
  SequenceCounterMismatch,
  Sw,
  type ScriptTransport,
  type SequenceCounterStore,
} from '@jpki/globalplatform';
import { createSsd, JPKI_A, newCard, provisionedCard, secureSession, SP_KEYS_A, SSD_A, swOf, TEMP_KEYS_A } from '../test/fixtures';
import { VirtualUicc } from './virtual-uicc';

/** The OTA context's rule: the card runs the script in order and stops after the first error status word. */
function otaScripts(card: VirtualUicc, tamper: (apdu: Buffer, index: number) => Buffer = (apdu) => apdu): ScriptTransport & { roundTrips: number } {
  const transport = async (apdus: Buffer[]) => {
    transport.roundTrips += 1;
    const responses: Buffer[] = [];
    for (const [i, apdu] of apdus.entries()) {
      const response = card.transmit(tamper(apdu, i));
      responses.push(response);
      const sw = response.readUInt16BE(response.length - 2);
      if (!(sw === Sw.OK || [0x61, 0x62, 0x63].includes(sw >> 8))) break;
    }
    return responses;
  };
  transport.roundTrips = 0;
  return transport;
}

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
    const generated = script.session(JPKI_A, { keys: SP_KEYS_A, securityLevel: SecurityLevel.C_MAC_R_MAC, sequenceCounter: 2 }, [buildGenerateKeyPair()], true);

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
    expect((error as SequenceCounterMismatch).actual).toBe(2);
    const retry = new CardScript();
    retry.select(SSD_A);
    const status = retry.session(SSD_A, { keys: SP_KEYS_A, securityLevel: LEVEL, sequenceCounter: 3 }, [buildGetStatus(GetStatusScope.APPLICATIONS)]);
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
    expect(await swOf(secureSession(card, SSD_A, TEMP_KEYS_A))).toBe(Sw.OK);
    expect(await swOf(secureSession(card, SSD_A, SP_KEYS_A))).toBe(Sw.REFERENCED_DATA_NOT_FOUND);
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

/** A counter store in memory; `forgets` drops every write (a host that never learns). */
function counterStore(initial?: number, forgets = false): SequenceCounterStore & { value?: number } {
  const store = {
    value: initial,
    last: async () => store.value,
    saw: async (counter: number) => {
      if (!forgets) store.value = counter;
    },
  };
  return store;
}

describe('KeysetScripts: card operations with one keyset whose sequence counter the host keeps', () => {
  const getStatus = (keys: KeysetScripts) =>
    keys.run((script, session) => {
      script.select(SSD_A);
      return session(SSD_A, [buildGetStatus(GetStatusScope.APPLICATIONS)]);
    });

  it('with the counter known, an operation is one round trip and the store moves to the counter the card used', async () => {
    const card = await provisionedCard();
    const ota = otaScripts(card);
    const counter = counterStore(1);

    const status = await getStatus(new KeysetScripts(ota, SSD_A, SP_KEYS_A, { securityLevel: LEVEL }, counter));

    expect(status.data[0].length).toBeGreaterThan(0);
    expect([ota.roundTrips, counter.value]).toEqual([1, 2]);
  });

  it('an unknown counter costs one INITIALIZE UPDATE to learn it first', async () => {
    const card = await provisionedCard();
    const ota = otaScripts(card);
    const counter = counterStore(undefined);

    await getStatus(new KeysetScripts(ota, SSD_A, SP_KEYS_A, { securityLevel: LEVEL }, counter));

    expect([ota.roundTrips, counter.value]).toEqual([2, 3]);
  });

  it('a card that moved on (an answer lost) costs one refused script, then the operation is re-planned from its counter', async () => {
    const card = await provisionedCard();
    const ota = otaScripts(card);
    const counter = counterStore(0);

    await getStatus(new KeysetScripts(ota, SSD_A, SP_KEYS_A, { securityLevel: LEVEL }, counter));

    expect([ota.roundTrips, counter.value]).toEqual([2, 3]);
  });

  it('a counter that still does not match after one re-plan is refused, not chased', async () => {
    const card = await provisionedCard();
    const ota = otaScripts(card);

    const error = await getStatus(new KeysetScripts(ota, SSD_A, SP_KEYS_A, { securityLevel: LEVEL }, counterStore(0, true))).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(SequenceCounterMismatch);
    expect(ota.roundTrips).toBe(2);
  });
});
