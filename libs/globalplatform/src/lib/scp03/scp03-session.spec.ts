import { CommandApdu } from '../apdu/command-apdu';
import { ResponseApdu } from '../apdu/response-apdu';
import { fromHex, hex } from '../bytes';
import { SecureChannelError } from '../errors';
import { Scp03KeySet } from '../keys/scp03-key-set';
import { Sw } from '../status-words';
import { Scp03CardSession } from './scp03-card-session';
import { Scp03HostSession } from './scp03-host-session';
import { Scp03Wrapper } from './scp03-wrapper';
import { SecurityLevel } from './security-level';
import { swOf } from '../../test/sw-of';

const AID = fromHex('A000000151000000');
const KEYS = new Scp03KeySet(0x30, fromHex('404142434445464748494a4b4c4d4e4f'), fromHex('505152535455565758595a5b5c5d5e5f'), fromHex('606162636465666768696a6b6c6d6e6f'));
const GET_STATUS = CommandApdu.parse(fromHex('80F28002024F0000'));

function open(level: number, hostKeys: Scp03KeySet = KEYS): { card: Scp03CardSession; host: Scp03HostSession; eaSw: number } {
  const host = new Scp03HostSession({ keys: hostKeys, securityLevel: level, challengeAid: AID });
  const initUpdate = host.buildInitializeUpdate();
  const { session: card, response } = Scp03CardSession.initializeUpdate({
    keys: KEYS,
    kdd: Buffer.alloc(10),
    sequenceCounter: 7,
    aid: AID,
    hostChallenge: initUpdate.data,
  });
  try {
    host.checkInitializeUpdateResponse(ResponseApdu.ok(response));
  } catch {
    return { card, host, eaSw: -1 };
  }
  return { card, host, eaSw: card.externalAuthenticate(host.buildExternalAuthenticate()) };
}

function established(level: number): { card: Scp03CardSession; wrapper: Scp03Wrapper } {
  const { card, host, eaSw } = open(level);
  expect(eaSw).toBe(Sw.OK);
  return { card, wrapper: host.confirmExternalAuthenticate(ResponseApdu.ok()) };
}


describe('SCP03 card session: key agreement and negative paths', () => {
  it('round-trips a command and its response at every security level', () => {
    for (const level of Object.values(SecurityLevel).filter((l) => l !== SecurityLevel.NO_SECURITY_LEVEL)) {
      const { card, wrapper } = established(level);
      expect(card.unwrapCommand(wrapper.wrap(GET_STATUS)).toString()).toBe(GET_STATUS.toString());
      const response = card.wrapResponse(ResponseApdu.ok(fromHex('E3054F03A00000')));
      expect(hex(wrapper.unwrap(response).data)).toBe('E3054F03A00000');
    }
  });

  it('a tampered C-MAC answers 6982 and aborts the session; the next command is refused too', () => {
    const { card, wrapper } = established(SecurityLevel.C_MAC);
    const wrapped = wrapper.wrap(GET_STATUS).toBytes();
    wrapped[wrapped.length - 2] ^= 0x01;
    expect(swOf(() => card.unwrapCommand(CommandApdu.parse(wrapped)))).toBe(Sw.SECURITY_STATUS_NOT_SATISFIED);
    expect(card.state).toBe('aborted');
    expect(card.securityLevel).toBe(SecurityLevel.NO_SECURITY_LEVEL);
    expect(swOf(() => card.unwrapCommand(wrapper.wrap(GET_STATUS)))).toBe(Sw.SECURITY_STATUS_NOT_SATISFIED);
  });

  it('a tampered C-ENC cryptogram is rejected', () => {
    const { card, wrapper } = established(SecurityLevel.C_DECRYPTION_C_MAC);
    const wrapped = wrapper.wrap(GET_STATUS).toBytes();
    wrapped[6] ^= 0x80;
    expect(swOf(() => card.unwrapCommand(CommandApdu.parse(wrapped)))).toBe(Sw.SECURITY_STATUS_NOT_SATISFIED);
    expect(card.state).toBe('aborted');
  });

  it('a replayed wrapped command is rejected by the MAC chain', () => {
    const { card, wrapper } = established(SecurityLevel.C_MAC);
    const first = wrapper.wrap(GET_STATUS);
    card.unwrapCommand(first);
    expect(swOf(() => card.unwrapCommand(first))).toBe(Sw.SECURITY_STATUS_NOT_SATISFIED);
  });

  it('a command replayed into a fresh session is rejected (new challenges, new session keys)', () => {
    const { card, wrapper } = established(SecurityLevel.C_DECRYPTION_C_MAC);
    const recorded = wrapper.wrap(GET_STATUS);
    card.unwrapCommand(recorded);
    const second = established(SecurityLevel.C_DECRYPTION_C_MAC);
    expect(swOf(() => second.card.unwrapCommand(recorded))).toBe(Sw.SECURITY_STATUS_NOT_SATISFIED);
  });

  it('a wrong host cryptogram answers 6300 and leaves no session', () => {
    const host = new Scp03HostSession({ keys: KEYS, securityLevel: SecurityLevel.C_MAC });
    const { session: card, response } = Scp03CardSession.initializeUpdate({
      keys: KEYS,
      kdd: Buffer.alloc(10),
      sequenceCounter: 1,
      aid: AID,
      hostChallenge: host.buildInitializeUpdate().data,
    });
    host.checkInitializeUpdateResponse(ResponseApdu.ok(response));
    const ea = host.buildExternalAuthenticate().toBytes();
    ea[5] ^= 0xff;
    expect(card.externalAuthenticate(CommandApdu.parse(ea))).toBe(Sw.VERIFICATION_FAILED);
    expect(card.isAuthenticated).toBe(false);
    expect(swOf(() => card.unwrapCommand(GET_STATUS))).toBe(Sw.SECURITY_STATUS_NOT_SATISFIED);
  });

  it('a host with the wrong keys detects the card cryptogram mismatch', () => {
    const wrongKeys = Scp03KeySet.fromSingleKey(0x30, fromHex('000102030405060708090a0b0c0d0e0f'));
    expect(open(SecurityLevel.C_MAC, wrongKeys).eaSw).toBe(-1);
  });

  it('a command below the session security level answers 6982 and aborts', () => {
    const { card } = established(SecurityLevel.C_MAC);
    expect(swOf(() => card.unwrapCommand(GET_STATUS))).toBe(Sw.SECURITY_STATUS_NOT_SATISFIED);
    expect(card.state).toBe('aborted');
  });

  it('rejects EXTERNAL AUTHENTICATE without a pending INITIALIZE UPDATE and unknown levels', () => {
    const { card, host } = open(SecurityLevel.C_MAC);
    expect(card.externalAuthenticate(host.buildExternalAuthenticate())).toBe(Sw.CONDITIONS_OF_USE_NOT_SATISFIED);
    expect(() => new Scp03HostSession({ keys: KEYS, securityLevel: 0x02 })).toThrow(SecureChannelError);
  });

  it('returns error status words bare and protects warnings', () => {
    const { card, wrapper } = established(SecurityLevel.C_MAC_R_MAC);
    card.unwrapCommand(wrapper.wrap(GET_STATUS));
    expect(card.wrapResponse(new ResponseApdu(fromHex('AABB'), Sw.WRONG_DATA)).toString()).toBe('6A80');
    card.unwrapCommand(wrapper.wrap(GET_STATUS));
    const warning = card.wrapResponse(new ResponseApdu(fromHex('E300'), Sw.MORE_DATA_AVAILABLE));
    expect(warning.data).toHaveLength(2 + 8);
    wrapper.unwrap(ResponseApdu.status(Sw.WRONG_DATA));
    expect(hex(wrapper.unwrap(warning).data)).toBe('E300');
  });

  it('the host rejects a forged R-MAC', () => {
    const { card, wrapper } = established(SecurityLevel.C_MAC_R_MAC);
    card.unwrapCommand(wrapper.wrap(GET_STATUS));
    const response = card.wrapResponse(ResponseApdu.ok(fromHex('0102'))).toBytes();
    response[0] ^= 0x01;
    expect(() => wrapper.unwrap(ResponseApdu.parse(response))).toThrow('R-MAC mismatch');
  });

  it('increments the C-ENC counter for commands without data', () => {
    const { card, wrapper } = established(SecurityLevel.C_DECRYPTION_C_MAC);
    card.unwrapCommand(wrapper.wrap(CommandApdu.parse(fromHex('80F22002'))));
    const withData = wrapper.wrap(GET_STATUS);
    expect(card.unwrapCommand(withData).toString()).toBe(GET_STATUS.toString());
  });
});
