import { sagaSteps } from './saga-steps';

describe('sagaSteps', () => {
  const step = sagaSteps<{ n?: number }, 'request' | 'card'>({ request: { timeoutMs: 30_000, maxAttempts: 5 }, card: { timeoutMs: 45_000, maxAttempts: 3 } });
  const run = async () => ({ n: 1 });

  it('gives each kind of step its configured deadline and attempts', () => {
    expect(step.request('eligibility', run)).toEqual({ name: 'eligibility', timeoutMs: 30_000, maxAttempts: 5, run });
    expect(step.card('key-handover', run)).toEqual({ name: 'key-handover', timeoutMs: 45_000, maxAttempts: 3, run });
  });

  it("adds the state entered, the compensation and attempts of the step's own", () => {
    const compensate = async () => undefined;
    expect(step.card('certificate-write', run, { stateAfter: 'personalized', compensate, maxAttempts: 8 })).toEqual({
      name: 'certificate-write',
      timeoutMs: 45_000,
      maxAttempts: 8,
      stateAfter: 'personalized',
      compensate,
      run,
    });
  });
});
