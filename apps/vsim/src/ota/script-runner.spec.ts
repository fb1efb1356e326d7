import { buildManageChannelOpen, buildSelect, fromHex } from '@jpki/globalplatform';
import { isScriptErrorSw, otaContextStatus, runScript } from './script-runner';

const reply = (...responses: string[]) => {
  const queue = responses.map((r) => fromHex(r));
  const sent: string[] = [];
  const transmit = jest.fn((apdu: Buffer) => {
    sent.push(apdu.toString('hex'));
    return queue.shift() ?? fromHex('6F00');
  });
  return { transmit, sent };
};

describe('OTA script execution', () => {
  it('classifies status words: 9000, 61xx, 62xx and 63xx continue, everything else stops', () => {
    for (const sw of [0x9000, 0x6110, 0x6100, 0x6283, 0x6300, 0x63c2, 0x6310]) expect(isScriptErrorSw(sw)).toBe(false);
    for (const sw of [0x6982, 0x6a82, 0x6700, 0x6d00, 0x6e00, 0x6f00, 0x6881, 0x9100]) expect(isScriptErrorSw(sw)).toBe(true);
  });

  it('runs in order and returns one response per executed command, stopping after the first error', () => {
    const { transmit } = reply('AA9000', '6310', '6982', '9000');
    const responses = runScript([fromHex('00A4040000'), fromHex('80F24000'), fromHex('84E60000'), fromHex('80CA006600')], transmit);
    expect(responses).toEqual(['AA9000', '6310', '6982']);
    expect(transmit).toHaveBeenCalledTimes(3);
  });

  it('answers 6881 for other logical channels and MANAGE CHANNEL without reaching the card', () => {
    expect(otaContextStatus(buildSelect(Buffer.alloc(8, 1), 1).toBytes())).toBe(0x6881);
    expect(otaContextStatus(buildManageChannelOpen().toBytes())).toBe(0x6881);
    expect(otaContextStatus(fromHex('40A4040000'))).toBe(0x6881); // further interindustry: channel 4
    expect(otaContextStatus(fromHex('8070000001'))).toBeUndefined(); // proprietary class: not MANAGE CHANNEL
    expect(otaContextStatus(fromHex('FF70000001'))).toBeUndefined(); // invalid CLA: the card answers 6E00
    const { transmit } = reply('9000');
    expect(runScript([fromHex('00A4040000'), buildManageChannelOpen().toBytes(), fromHex('00A4040000')], transmit)).toEqual(['9000', '6881']);
    expect(transmit).toHaveBeenCalledTimes(1);
  });
});
