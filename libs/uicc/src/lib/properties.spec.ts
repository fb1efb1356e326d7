import fc from 'fast-check';
import {
  buildChangeReferenceData,
  buildInitializeUpdate,
  buildManageChannelClose,
  buildManageChannelOpen,
  buildSelect,
  buildVerify,
  CommandApdu,
  isDefinedSw,
} from '@jpki/globalplatform';
import { handsetChannel, ISD_AID, JPKI_A, provisionedCard, SSD_A } from '../test/fixtures';
import { VirtualUicc } from './virtual-uicc';

let template: VirtualUicc;

beforeAll(async () => {
  template = await provisionedCard();
  const handset = handsetChannel(template);
  handset.transmitOk('set PIN', buildChangeReferenceData('1234'));
  template.reset();
});

function freshCard(): VirtualUicc {
  return VirtualUicc.fromImage(template.toImage());
}

const swOf = (response: Buffer) => response.readUInt16BE(response.length - 2);

const interestingCla = fc.constantFrom(0x00, 0x01, 0x03, 0x04, 0x10, 0x40, 0x80, 0x84, 0x87, 0xc0, 0xe0, 0xff, 0x20);
const interestingIns = fc.constantFrom(0x20, 0x24, 0x2a, 0x2c, 0x47, 0x50, 0x70, 0x82, 0xa4, 0xb0, 0xc0, 0xca, 0xd8, 0xe2, 0xe4, 0xe6, 0xe8, 0xf0, 0xf2, 0x61);
const headerShaped = fc
  .tuple(interestingCla, interestingIns, fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 300 }))
  .map(([cla, ins, p1, p2, body]) => Buffer.concat([Buffer.from([cla, ins, p1, p2]), body]));
const anyBytes = fc.oneof(fc.uint8Array({ maxLength: 40 }).map((bytes) => Buffer.from(bytes)), headerShaped);

describe('robustness (property)', () => {
  it('arbitrary bytes never throw and always end in a defined status word', () => {
    const card = freshCard();
    card.transmit(buildSelect(JPKI_A).toBytes());
    fc.assert(
      fc.property(anyBytes, (bytes) => {
        const response = card.transmit(bytes);
        expect(response.length).toBeGreaterThanOrEqual(2);
        expect(isDefinedSw(swOf(response))).toBe(true);
      }),
      { numRuns: 400 },
    );
  });
});

/** Valid and invalid steps that do change persistent state: sequence counters, failed auths, PIN tries, channels. */
const steps: fc.Arbitrary<Buffer>[] = [
  fc.constantFrom(ISD_AID, SSD_A, JPKI_A).map((aid) => buildSelect(aid).toBytes()),
  fc.constantFrom(ISD_AID, SSD_A, JPKI_A).map((aid) => buildSelect(aid, 1).toBytes()),
  fc.tuple(fc.constantFrom(0x00, 0x30, 0x31), fc.constantFrom(8, 16)).map(([kvn, sMode]) => buildInitializeUpdate(kvn, Buffer.alloc(sMode, 1)).toBytes()),
  fc.uint8Array({ minLength: 16, maxLength: 16 }).map((data) => new CommandApdu(0x84, 0x82, 0x01, 0x00, data).toBytes()),
  fc.constantFrom('0000', '1234', '9999').map((pin) => buildVerify(pin).toBytes()),
  fc.constant(buildManageChannelOpen().toBytes()),
  fc.constant(buildManageChannelClose(1).toBytes()),
  anyBytes,
];

describe('persistence (property)', () => {
  it('after any command sequence the reloaded image is identical and behaves the same', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(...steps), { maxLength: 25 }), fc.oneof(...steps), (sequence, followUp) => {
        const card = freshCard();
        for (const command of sequence) {
          card.transmit(command);
        }
        const image = card.toImage();
        const reloaded = VirtualUicc.fromImage(JSON.parse(JSON.stringify(image)));
        expect(reloaded.toImage()).toStrictEqual(image);
        card.reset();
        expect(card.transmit(followUp).toString('hex')).toBe(reloaded.transmit(followUp).toString('hex'));
        expect(reloaded.toImage()).toStrictEqual(card.toImage());
      }),
      { numRuns: 150 },
    );
  });
});
