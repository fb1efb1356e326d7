import { buildVerify } from '@jpki/globalplatform';
import { apduLogFields } from './apdu-log';

describe('APDU log fields', () => {
  it('carry the header, Lc and SW, never the data field', () => {
    const verify = buildVerify('1234').toBytes();
    const fields = apduLogFields(verify, Buffer.from('63C2', 'hex'));
    expect(fields).toEqual({ cla: '00', ins: '20', p1: '00', p2: '81', lc: 4, sw: '63C2', responseLength: 0 });
    expect(JSON.stringify(fields)).not.toContain('31323334');
  });

  it('cope with malformed and short APDUs and responses', () => {
    expect(apduLogFields(Buffer.from('00A4', 'hex'), Buffer.from('67', 'hex'))).toMatchObject({ p1: '--', p2: '--', lc: null, sw: '----' });
    expect(apduLogFields(Buffer.from('00A40400FF00', 'hex'), Buffer.from('6700', 'hex'))).toMatchObject({ lc: null, sw: '6700' });
  });
});
