import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { PgListener } from '@jpki/messaging';
import { testDatabaseUrl, waitUntil } from '@jpki/testing';

describe('PgListener on the real database', () => {
  const channel = `pg_listener_${randomUUID().slice(0, 8)}`;
  const heard: string[] = [];
  const changes: boolean[] = [];
  const listener = new PgListener({
    databaseUrl: testDatabaseUrl(),
    channel,
    applicationName: channel,
    reconnectMs: 100,
    onNotification: (payload) => heard.push(payload),
    onChange: (listening) => changes.push(listening),
  });
  const admin = new Client({ connectionString: testDatabaseUrl() });
  const notify = (payload: string) => admin.query(`SELECT pg_notify($1, $2)`, [channel, payload]);
  const hears = (payload: string) => waitUntil(async () => heard.includes(payload) || undefined, 5_000, `notification ${payload}`);

  beforeAll(() => admin.connect());

  afterAll(async () => {
    await listener.stop();
    await admin.end();
  });

  it('hears NOTIFY, reconnects by itself when its backend is killed, says so both times, and hears again', async () => {
    await listener.start();
    expect(listener.listening).toBe(true);
    await notify('before');
    await hears('before');

    await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1`, [channel]);
    await waitUntil(async () => (changes.length === 3 && listener.listening) || undefined, 5_000, 'reconnected');
    expect(changes).toEqual([true, false, true]);

    await notify('after');
    await hears('after');
  });

  it('stops for good: no reconnect after stop', async () => {
    await listener.stop();
    await new Promise((r) => setTimeout(r, 300));
    expect(listener.listening).toBe(false);
  });
});
