import fc from 'fast-check';
import { AtRestCipher } from '@jpki/crypto';
import {
  buildChangeReferenceData,
  buildGetResponse,
  buildReadCertificate,
  buildSelect,
  buildVerify,
  hex,
  isDefinedSw,
  JpkiAid,
} from '@jpki/globalplatform';
import { VirtualUicc, type CardImage } from '@jpki/uicc';
import { CardStore } from './cards/card-store';
import { isScriptErrorSw } from './ota/script-runner';
import {
  createSsdCommands,
  installJpkiCommand,
  ISD_AID,
  newIccid,
  inSessionOverOta,
  randomIsdKeys,
  SSD_AID,
  VsimHarness,
  type PhoneUnderTest,
} from './test/vsim-harness';

const JPKI = hex(JpkiAid.DEFAULT_INSTANCE);

const interestingCla = fc.constantFrom(0x00, 0x01, 0x03, 0x04, 0x0c, 0x10, 0x40, 0x80, 0x84, 0x87, 0xc0, 0xe0, 0xff, 0x20);
const interestingIns = fc.constantFrom(0x20, 0x24, 0x2a, 0x2c, 0x47, 0x50, 0x70, 0x82, 0xa4, 0xb0, 0xc0, 0xca, 0xd8, 0xe2, 0xe4, 0xe6, 0xe8, 0xf0, 0xf2);
const headerShaped = fc
  .tuple(interestingCla, interestingIns, fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 300 }))
  .map(([cla, ins, p1, p2, body]) => Buffer.concat([Buffer.from([cla, ins, p1, p2]), body]));
/** Header-shaped commands with a consistent Lc (they reach the card rather than failing the length check). */
const wellFormed = fc
  .tuple(interestingCla, interestingIns, fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.uint8Array({ minLength: 1, maxLength: 255 }))
  .map(([cla, ins, p1, p2, data]) => Buffer.concat([Buffer.from([cla, ins, p1, p2, data.length]), data]));
const anyApdu = fc.oneof(fc.uint8Array({ minLength: 4, maxLength: 40 }).map((b) => Buffer.from(b)), headerShaped, wellFormed);

describe('vsim properties (fast-check) over the real broker and database', () => {
  let h: VsimHarness;
  const handsetSim = newIccid('docomo');
  const otaSim = newIccid('docomo');
  const isdKeys = randomIsdKeys();
  const tempKeys = randomIsdKeys();
  let channel: number;
  let phone: PhoneUnderTest;

  const transmit = (apdu: string) => phone.transmit(channel, apdu);

  beforeAll(async () => {
    h = await VsimHarness.start();
    await Promise.all([h.manufacture('docomo', handsetSim, isdKeys), h.manufacture('docomo', otaSim, randomIsdKeys())]);
    await inSessionOverOta(h, { carrier: 'docomo', iccid: handsetSim }, ISD_AID, isdKeys, createSsdCommands(isdKeys, tempKeys));
    await inSessionOverOta(h, { carrier: 'docomo', iccid: handsetSim }, SSD_AID, tempKeys, [installJpkiCommand()], 0x01);
    phone = await h.insertSim(handsetSim);
    channel = (await phone.open(JPKI).expect(201)).body.channel;
    await transmit(buildChangeReferenceData('1234').toString()).expect(200);
  });

  afterAll(async () => {
    await h?.close();
  });

  it('arbitrary input on the handset channel never crashes the service: a 4xx with a reason, or a defined status word', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(anyApdu.map((b) => b.toString('hex')), fc.string({ maxLength: 24 })), async (apdu) => {
        const res = await transmit(apdu);
        if (res.status === 200) {
          expect(isDefinedSw(parseInt(res.body.sw, 16))).toBe(true);
          expect(res.body.response.endsWith(res.body.sw)).toBe(true);
        } else {
          expect([400, 403]).toContain(res.status);
          expect(res.body.reason).toMatch(/^[A-Z_]+$/);
        }
      }),
      { numRuns: 150 },
    );
    await h.http.get('/health/live').expect(200);
    expect(isDefinedSw(parseInt((await transmit(buildVerify().toString()).expect(200)).body.sw, 16))).toBe(true);
  });

  it('arbitrary APDU scripts over OTA come back with defined status words and stop at the first error', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(anyApdu, { minLength: 1, maxLength: 4 }), async (apdus) => {
        const done = await h.script('docomo', otaSim, apdus);
        expect(done.outcome).toBe('executed');
        expect(done.responses.length).toBeGreaterThanOrEqual(1);
        expect(done.responses.length).toBeLessThanOrEqual(apdus.length);
        const sws = done.responses.map((r) => parseInt(r.slice(-4), 16));
        sws.forEach((sw) => expect(isDefinedSw(sw)).toBe(true));
        sws.slice(0, -1).forEach((sw) => expect(isScriptErrorSw(sw)).toBe(false));
        if (done.responses.length < apdus.length) expect(isScriptErrorSw(sws[sws.length - 1])).toBe(true);
      }),
      { numRuns: 25 },
    );
  });

  it('the persisted (encrypted) image, reloaded, equals the in-memory card after any command sequence', async () => {
    const cipher = AtRestCipher.fromSpec(h.keys.envFor('vsim').KEY_ENCRYPTION_KEYS);
    const step = fc.oneof(
      { arbitrary: fc.constantFrom('0000', '1234', '9999').map((pin) => ({ handset: buildVerify(pin).toString() })), weight: 3 },
      { arbitrary: fc.constant({ handset: buildVerify().toString() }), weight: 1 },
      { arbitrary: fc.constantFrom('1234', '4321').map((pin) => ({ handset: buildChangeReferenceData(pin, '1234').toString() })), weight: 1 },
      { arbitrary: fc.constant({ handset: buildReadCertificate(0).toString() }), weight: 1 },
      { arbitrary: fc.constant({ handset: buildGetResponse(channel, 256).toString() }), weight: 1 },
      { arbitrary: fc.constant({ handset: buildSelect(JpkiAid.DEFAULT_INSTANCE).toString() }), weight: 1 },
      { arbitrary: wellFormed.map((b) => ({ handset: b.toString('hex') })), weight: 2 },
      // An OTA script that changes persistent state (INITIALIZE UPDATE advances the ISD's sequence counter).
      { arbitrary: fc.constant({ ota: [buildSelect().toBytes(), Buffer.from(`80503000080102030405060708${'00'}`, 'hex')] }), weight: 1 },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 8 }), async (steps) => {
        for (const s of steps) {
          if ('ota' in s) await h.script('docomo', handsetSim, s.ota);
          else await transmit(s.handset);
        }
        const inMemory = h.app.get(CardStore).peek(handsetSim);
        expect(inMemory).toBeDefined();
        const { image, revision } = await h.sealedImage(handsetSim);
        const stored = cipher.openJson<CardImage>(image, `vsim/card/${handsetSim}`);
        expect(stored).toStrictEqual(inMemory!.toImage());
        expect(revision).toBe(stored.revision);
        expect(VirtualUicc.fromImage(stored).toImage()).toStrictEqual(stored);
        expect(image).not.toContain(hex(isdKeys.enc));
      }),
      { numRuns: 30 },
    );
  });
});
