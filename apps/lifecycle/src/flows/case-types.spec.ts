import { permanentRenewalFailure } from './case-service';
import { aggregateServiceOutcome } from './case-types';

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
});
