import type { TsmSettings } from '../ports/tsm-settings';
import { ScriptTamper } from './script-tamper';

const tamper = (mode: TsmSettings['tampering']) => new ScriptTamper({ tampering: mode } as TsmSettings);
const SELECT = '00A4040008A000000151000000';
const EA = '8482130010' + '11'.repeat(16);
const WRAPPED_1 = '84F2400218' + 'AA'.repeat(24);
const WRAPPED_2 = '84D8308159' + 'BB'.repeat(89);

describe('TSM script tampering switch (unit)', () => {
  it('forwards unchanged when off', () => {
    expect(tamper('none').apply('1', [SELECT, EA, WRAPPED_1])).toEqual([SELECT, EA, WRAPPED_1]);
  });

  it('alters one bit of the first protected command, leaving SELECT and EXTERNAL AUTHENTICATE alone', () => {
    const out = tamper('alter').apply('1', [SELECT, EA, WRAPPED_1, WRAPPED_2]);
    expect(out[0]).toBe(SELECT);
    expect(out[1]).toBe(EA);
    expect(out[2]).not.toBe(WRAPPED_1);
    expect(Buffer.from(out[2], 'hex').length).toBe(Buffer.from(WRAPPED_1, 'hex').length);
    expect(out[3]).toBe(WRAPPED_2);
  });

  it('replays the previous protected command of the same card', () => {
    const t = tamper('replay');
    expect(t.apply('1', [WRAPPED_1])).toEqual([WRAPPED_1]);
    expect(t.apply('2', [WRAPPED_2])).toEqual([WRAPPED_2]);
    expect(t.apply('1', [EA, WRAPPED_2])).toEqual([EA, WRAPPED_1]);
  });
});
