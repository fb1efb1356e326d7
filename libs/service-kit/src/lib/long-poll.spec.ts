import { MAX_WAIT_MS, versionedRead } from './long-poll';

describe('versioned reads (If-None-Match + Prefer: wait)', () => {
  it('waits only with an ETag of ours, as long as Prefer asks and at most MAX_WAIT_MS', () => {
    expect(versionedRead('"v12"', 'wait=5')).toEqual({ seenVersion: 12, waitMs: 5_000 });
    expect(versionedRead('W/"v3"', 'respond-async, wait=10')).toEqual({ seenVersion: 3, waitMs: 10_000 });
    expect(versionedRead('"v3"', 'wait=3600')).toEqual({ seenVersion: 3, waitMs: MAX_WAIT_MS });
    expect(versionedRead('"v3"', undefined)).toEqual({ seenVersion: 3, waitMs: 0 });
    expect(versionedRead(undefined, 'wait=5')).toEqual({ waitMs: 0 });
    expect(versionedRead('"12"', 'wait=5')).toEqual({ waitMs: 0 });
    expect(versionedRead('"v1", "v2"', 'wait=5')).toEqual({ waitMs: 0 });
    expect(versionedRead('"v99999999999"', 'wait=5')).toEqual({ waitMs: 0 });
    expect(versionedRead('"v3"', 'wait=-1')).toEqual({ seenVersion: 3, waitMs: 0 });
  });
});
