import vectors from '../../test/scp03-pysim.json';
import { CommandApdu } from '../apdu/command-apdu';
import { ResponseApdu } from '../apdu/response-apdu';
import { fromHex, hex } from '../bytes';
import { Scp03KeySet } from '../keys/scp03-key-set';
import { Sw } from '../status-words';
import { parseInitializeUpdateResponse } from './initialize-update';
import { Scp03CardSession } from './scp03-card-session';
import { Scp03HostSession } from './scp03-host-session';

const SD_AID = fromHex('A0000005591010FFFFFFFF8900000100');
const CASES = ['case1', 'case2', 'case3', 'case4'] as const;
const plain = vectors.plain;

type Vector = (typeof vectors.vectors)[number];

function keysFor(vector: Vector): Scp03KeySet {
  const kvn = fromHex(vector.initUpdateCmd)[2];
  const take = (keys: string) => fromHex(keys.split(' ')[0]).subarray(0, vector.keyBytes);
  return new Scp03KeySet(kvn, take(vectors.keys.enc), take(vectors.keys.mac), take(vectors.keys.dek));
}

function describeVector(vector: Vector): string {
  const level = fromHex(vector.extAuthCmd)[2].toString(16).padStart(2, '0');
  return `AES-${vector.keyBytes * 8}, security level ${level}, sequence counter ${vector.initUpdateRsp.slice(-6)}`;
}

const withSw = (data: string) => Buffer.concat([fromHex(data), Buffer.from([0x90, 0x00])]);
const normalized = (apdu: string) => hex(fromHex(apdu));

describe('SCP03 pySim vectors, host side', () => {
  it.each(vectors.vectors.map((v) => [describeVector(v), v] as const))('%s', (_name, vector) => {
    const initUpdate = fromHex(vector.initUpdateCmd);
    const host = new Scp03HostSession({
      keys: keysFor(vector),
      securityLevel: fromHex(vector.extAuthCmd)[2],
      hostChallenge: initUpdate.subarray(5, 13),
      challengeAid: SD_AID,
    });

    expect(host.buildInitializeUpdate().toString()).toBe(normalized(vector.initUpdateCmd));
    host.checkInitializeUpdateResponse(ResponseApdu.parse(withSw(vector.initUpdateRsp)));
    expect(host.buildExternalAuthenticate().toString()).toBe(normalized(vector.extAuthCmd));
    const wrapper = host.confirmExternalAuthenticate(ResponseApdu.ok());

    expect(wrapper.wrap(CommandApdu.parse(fromHex(plain.getEidCmd))).toString()).toBe(normalized(vector.getEidCmd));
    const eid = wrapper.unwrap(ResponseApdu.parse(withSw(vector.getEidRsp)));
    expect(hex(eid.data)).toBe(normalized(plain.getEidRsp));
    for (const name of CASES) {
      expect(wrapper.wrap(CommandApdu.parse(fromHex(plain[name]))).toString()).toBe(normalized(vector[name]));
    }
  });
});

describe('SCP03 pySim vectors, card side', () => {
  it.each(vectors.vectors.map((v) => [describeVector(v), v] as const))('%s', (_name, vector) => {
    const initUpdate = CommandApdu.parse(fromHex(vector.initUpdateCmd));
    const { session, response } = Scp03CardSession.initializeUpdate({
      keys: keysFor(vector),
      kdd: Buffer.alloc(10),
      sequenceCounter: parseInitializeUpdateResponse(fromHex(vector.initUpdateRsp)).sequenceCounter ?? 0,
      aid: SD_AID,
      hostChallenge: initUpdate.data,
    });
    expect(hex(response)).toBe(normalized(vector.initUpdateRsp));

    expect(session.externalAuthenticate(CommandApdu.parse(fromHex(vector.extAuthCmd)))).toBe(Sw.OK);
    expect(session.securityLevel).toBe(fromHex(vector.extAuthCmd)[2]);

    const getEid = session.unwrapCommand(CommandApdu.parse(fromHex(vector.getEidCmd)));
    expect(getEid.toString()).toBe(normalized(plain.getEidCmd));
    const eidResponse = session.wrapResponse(ResponseApdu.ok(fromHex(plain.getEidRsp)));
    expect(eidResponse.toString()).toBe(hex(withSw(vector.getEidRsp)));
    for (const name of CASES) {
      expect(session.unwrapCommand(CommandApdu.parse(fromHex(vector[name]))).toString()).toBe(normalized(plain[name]));
    }
  });
});
