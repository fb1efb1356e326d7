import { loadLifecycleConfig } from './config';

describe('lifecycle config', () => {
  it('has local defaults: port 7500, schema lifecycle, 90-day renewal window', () => {
    expect(loadLifecycleConfig({})).toMatchObject({ HTTP_PORT: 7500, DB_SCHEMA: 'lifecycle', RENEWAL_WINDOW_DAYS: 90, CASE_STEP_MAX_ATTEMPTS: 10 });
  });

  it('names every invalid variable', () => {
    expect(() => loadLifecycleConfig({ RENEWAL_WINDOW_DAYS: '0', CASE_STEP_TIMEOUT_MS: 'soon' })).toThrow(/RENEWAL_WINDOW_DAYS[\s\S]*CASE_STEP_TIMEOUT_MS|CASE_STEP_TIMEOUT_MS[\s\S]*RENEWAL_WINDOW_DAYS/);
  });
});
