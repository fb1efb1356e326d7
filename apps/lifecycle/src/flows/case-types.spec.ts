import { permanentRenewalFailure } from './case-service';
import type { PhoneRow } from '../domain/read-model';
import { aggregateServiceOutcome, serviceOperationOn } from './case-types';

describe('case outcomes', () => {
  it('aggregates the service operations of a case', () => {
    expect(aggregateServiceOutcome([], {})).toBe('not-needed');
    expect(aggregateServiceOutcome(['a'], {})).toBe('pending');
    expect(aggregateServiceOutcome(['a', 'b'], { a: 'done', b: 'queued' })).toBe('queued');
    expect(aggregateServiceOutcome(['a', 'b'], { a: 'done', b: 'not-deployed' })).toBe('done');
    expect(aggregateServiceOutcome(['a'], { a: 'not-deployed' })).toBe('not-deployed');
    expect(aggregateServiceOutcome(['a', 'b'], { a: 'failed:CARD_REJECTED', b: 'done' })).toBe('failed');
  });

  it('knows which renewal failures a later attempt cannot fix', () => {
    expect(permanentRenewalFailure('RENEWAL_NOT_EXTENDING')).toBe(true);
    expect(permanentRenewalFailure('CARD_CERTIFICATE_EXPIRED')).toBe(true);
    expect(permanentRenewalFailure('NOT_DEPLOYED')).toBe(true);
    expect(permanentRenewalFailure('RENEWAL_TOO_EARLY')).toBe(false);
    expect(permanentRenewalFailure('SIM_UNREACHABLE')).toBe(false);
    expect(permanentRenewalFailure(null)).toBe(false);
  });

  it('asks for a service operation on the phone’s secure element: its SIM, its eSE, none for an iPhone', () => {
    const phone = (p: Partial<PhoneRow>) => ({ iccid: null, deviceId: null, ...p }) as PhoneRow;
    expect(serviceOperationOn(phone({ deviceKind: 'sim', iccid: '8981100000000000001' }), 'suspend', 'LOSS')).toEqual({ operation: 'suspend', seids: ['8981100000000000001'], reason: 'LOSS' });
    expect(serviceOperationOn(phone({ deviceKind: 'ese', deviceId: 'E50102030405060708AB' }), 'resume', 'FOUND')).toEqual({ operation: 'resume', seids: ['E50102030405060708AB'], reason: 'FOUND' });
    expect(serviceOperationOn(phone({ deviceKind: 'iphone', deviceId: 'IPHONE-0001' }), 'suspend', 'LOSS')).toBeUndefined();
  });
});
