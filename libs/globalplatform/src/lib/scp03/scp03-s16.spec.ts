import { execFileSync } from 'node:child_process';
import { CommandApdu } from '../apdu/command-apdu';
import { ResponseApdu } from '../apdu/response-apdu';
import { fromHex, hex } from '../bytes';
import { buildStoreDataCommands } from '../commands/store-data';
import { secureBlockSize } from '../commands/load';
import { SecureChannelError } from '../errors';
import { Scp03KeySet } from '../keys/scp03-key-set';
import { Sw } from '../status-words';
import { parseInitializeUpdateResponse } from './initialize-update';
import { encodeSequenceCounter, pseudoRandomCardChallenge } from './scp03-crypto';
import { Scp03CardSession } from './scp03-card-session';
import { Scp03HostSession } from './scp03-host-session';
import { DEFAULT_SCP03_I, Scp03Option, Scp03SMode, SecurityLevel } from './security-level';
import { swOf } from '../../test/sw-of';

const AID = fromHex('A0000005591010FFFFFFFF8900000100');
const S16_I = DEFAULT_SCP03_I | Scp03Option.S16;
const GET_STATUS = CommandApdu.parse(fromHex('80F28002024F0000'));
const KEYSETS = [16, 24, 32].map((length) =>
  new Scp03KeySet(0x30, Buffer.alloc(length, 0x40), Buffer.alloc(length, 0x50), Buffer.alloc(length, 0x60)),
);
const LEVELS = Object.values(SecurityLevel).filter((level) => level !== SecurityLevel.NO_SECURITY_LEVEL);

function initializeUpdate(hostChallenge: Buffer, keys = KEYSETS[0], i = S16_I) {
  return Scp03CardSession.initializeUpdate({ keys, kdd: Buffer.alloc(10), sequenceCounter: 5, aid: AID, hostChallenge, i });
}

function establish(level: number, keys = KEYSETS[0], sMode: Scp03SMode = 16) {
  const host = new Scp03HostSession({ keys, securityLevel: level, sMode, challengeAid: AID });
  const initUpdateCommand = host.buildInitializeUpdate();
  const { session: card, response } = initializeUpdate(initUpdateCommand.data, keys, sMode === 16 ? S16_I : DEFAULT_SCP03_I);
  host.checkInitializeUpdateResponse(ResponseApdu.ok(response));
  const externalAuthenticate = host.buildExternalAuthenticate();
  const eaSw = card.externalAuthenticate(externalAuthenticate);
  return { card, host, initUpdateCommand, initUpdateResponse: response, externalAuthenticate, eaSw };
}


describe('SCP03 S16 mode (Amd D v1.2: 16-byte challenges, cryptograms and MACs)', () => {
  it('opens a session and round-trips commands and responses for AES-128/192/256 at every security level', () => {
    for (const keys of KEYSETS) {
      for (const level of LEVELS) {
        const { card, host, eaSw } = establish(level, keys);
        expect(eaSw).toBe(Sw.OK);
        const wrapper = host.confirmExternalAuthenticate(ResponseApdu.ok());
        for (let round = 0; round < 3; round++) {
          expect(card.unwrapCommand(wrapper.wrap(GET_STATUS)).toString()).toBe(GET_STATUS.toString());
          const response = card.wrapResponse(ResponseApdu.ok(fromHex('E3054F03A00000')));
          expect(hex(wrapper.unwrap(response).data)).toBe('E3054F03A00000');
        }
      }
    }
  });

  it('uses the S16 field lengths on the wire: Lc 10, 48-byte INITIALIZE UPDATE response, Lc 20 for EXTERNAL AUTHENTICATE, 16-byte C-MAC and R-MAC', () => {
    const { card, host, initUpdateCommand, initUpdateResponse, externalAuthenticate } = establish(SecurityLevel.C_MAC_R_MAC);
    expect(hex(initUpdateCommand.toBytes().subarray(0, 5))).toBe('8050300010');
    expect(initUpdateResponse).toHaveLength(10 + 3 + 16 + 16 + 3);
    expect(parseInitializeUpdateResponse(initUpdateResponse)).toMatchObject({ i: 0x71, sequenceCounter: 5 });
    expect(hex(externalAuthenticate.toBytes().subarray(0, 5))).toBe('8482110020');
    const wrapper = host.confirmExternalAuthenticate(ResponseApdu.ok());
    const wrapped = wrapper.wrap(GET_STATUS);
    expect(wrapped.data).toHaveLength(GET_STATUS.data.length + 16);
    card.unwrapCommand(wrapped);
    expect(card.wrapResponse(ResponseApdu.ok(fromHex('0102'))).data).toHaveLength(2 + 16);
  });

  it('derives the pseudo-random card challenge with L = 128: one AES-CMAC block that openssl computes independently', () => {
    const enc = KEYSETS[0].enc;
    const fixedInput = Buffer.concat([Buffer.alloc(11), Buffer.from([0x02, 0x00, 0x00, 0x80, 0x01]), encodeSequenceCounter(5), AID]);
    const openssl = execFileSync('openssl', ['mac', '-cipher', 'AES-128-CBC', '-macopt', `hexkey:${hex(enc)}`, 'CMAC'], {
      input: fixedInput,
    });
    const challenge = pseudoRandomCardChallenge(enc, 5, AID, 16);
    expect(hex(challenge).toUpperCase()).toBe(openssl.toString().trim().toUpperCase());
    expect(parseInitializeUpdateResponse(initializeUpdate(Buffer.alloc(16, 1)).response).cardChallenge.equals(challenge)).toBe(true);
  });

  it('an S8 host challenge to an S16 security domain answers 6700, and so does the reverse', () => {
    expect(swOf(() => initializeUpdate(Buffer.alloc(8)))).toBe(Sw.WRONG_LENGTH);
    expect(swOf(() => initializeUpdate(Buffer.alloc(16), KEYSETS[0], DEFAULT_SCP03_I))).toBe(Sw.WRONG_LENGTH);
  });

  it('a host that asked for S8 refuses an S16 answer before deriving anything', () => {
    const host = new Scp03HostSession({ keys: KEYSETS[0], securityLevel: SecurityLevel.C_MAC, sMode: 8 });
    const { response } = initializeUpdate(Buffer.alloc(16, 2));
    expect(() => host.checkInitializeUpdateResponse(ResponseApdu.ok(response))).toThrow('card answered in S16 mode, host asked for S8');
    expect(() => new Scp03HostSession({ keys: KEYSETS[0], securityLevel: SecurityLevel.C_MAC, sMode: 16, hostChallenge: Buffer.alloc(8) })).toThrow(
      SecureChannelError,
    );
  });

  it('an S8-length EXTERNAL AUTHENTICATE in an S16 session answers 6700 and aborts', () => {
    const host = new Scp03HostSession({ keys: KEYSETS[0], securityLevel: SecurityLevel.C_MAC, sMode: 16 });
    const { session: card, response } = initializeUpdate(host.buildInitializeUpdate().data);
    host.checkInitializeUpdateResponse(ResponseApdu.ok(response));
    const ea = host.buildExternalAuthenticate();
    const truncated = ea.with({ data: Buffer.concat([ea.data.subarray(0, 8), ea.data.subarray(16, 24)]) });
    expect(card.externalAuthenticate(truncated)).toBe(Sw.WRONG_LENGTH);
    expect(card.state).toBe('aborted');
  });

  it('a wrong host cryptogram answers 6300; a C-MAC tampered in its last 8 bytes answers 6982 and aborts', () => {
    const host = new Scp03HostSession({ keys: KEYSETS[0], securityLevel: SecurityLevel.C_MAC, sMode: 16 });
    const first = initializeUpdate(host.buildInitializeUpdate().data);
    host.checkInitializeUpdateResponse(ResponseApdu.ok(first.response));
    const ea = host.buildExternalAuthenticate().toBytes();
    ea[5 + 15] ^= 0x01;
    expect(first.session.externalAuthenticate(CommandApdu.parse(ea))).toBe(Sw.VERIFICATION_FAILED);

    const { card, host: host2, eaSw } = establish(SecurityLevel.C_MAC);
    expect(eaSw).toBe(Sw.OK);
    const wrapped = host2.confirmExternalAuthenticate(ResponseApdu.ok()).wrap(GET_STATUS).toBytes();
    wrapped[wrapped.length - 2] ^= 0x01;
    expect(swOf(() => card.unwrapCommand(CommandApdu.parse(wrapped)))).toBe(Sw.SECURITY_STATUS_NOT_SATISFIED);
    expect(card.state).toBe('aborted');
  });

  it('the host rejects an R-MAC forged in its last 8 bytes', () => {
    const { card, host } = establish(SecurityLevel.C_MAC_R_MAC);
    const wrapper = host.confirmExternalAuthenticate(ResponseApdu.ok());
    card.unwrapCommand(wrapper.wrap(GET_STATUS));
    const response = card.wrapResponse(ResponseApdu.ok(fromHex('0102'))).toBytes();
    response[response.length - 3] ^= 0x01;
    expect(() => wrapper.unwrap(ResponseApdu.parse(response))).toThrow('R-MAC mismatch');
  });

  it('secure block sizes leave room for padding and the longer C-MAC: every wrapped STORE DATA fits the APDU size', () => {
    expect([secureBlockSize(255, 8), secureBlockSize(255, 16), secureBlockSize(128, 16)]).toEqual([239, 223, 111]);
    for (const [maxApduDataBytes, sMode] of [[255, 8], [255, 16], [128, 8], [128, 16]] as const) {
      const { card, host, eaSw } = establish(SecurityLevel.C_DECRYPTION_C_MAC, KEYSETS[0], sMode);
      expect(eaSw).toBe(Sw.OK);
      const wrapper = host.confirmExternalAuthenticate(ResponseApdu.ok());
      const data = Buffer.alloc(1500, 0x42);
      const wrapped = buildStoreDataCommands(data, { structure: 'ber-tlv', encryption: 'none' }, secureBlockSize(maxApduDataBytes, sMode)).map((c) => wrapper.wrap(c));
      expect(Math.max(...wrapped.map((c) => c.data.length))).toBeLessThanOrEqual(maxApduDataBytes);
      expect(Buffer.concat(wrapped.map((c) => card.unwrapCommand(c).data)).equals(data)).toBe(true);
    }
  });
});
