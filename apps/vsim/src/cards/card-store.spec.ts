import { randomBytes } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { buildSelect, JpkiAid, Scp03KeySet } from '@jpki/globalplatform';
import { Clock, ServiceKeys, type BaseConfig } from '@jpki/service-kit';
import { VirtualUicc } from '@jpki/uicc';
import type { VsimConfig } from '../config';
import { CardStore, type SeRow } from './card-store';

const ICCID = '8981100000000000077';
const config = { KEY_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`, CARD_CACHE_SIZE: 2 } as unknown as VsimConfig;

/** A stand-in for the transaction: records statements and answers UPDATE/INSERT with a chosen row count. */
function fakeManager(updateCount = 1) {
  const statements: string[] = [];
  const manager = {
    query: jest.fn(async (sql: string) => {
      statements.push(sql.trim().split(/\s+/).slice(0, 2).join(' '));
      if (sql.startsWith('INSERT')) return [{ seid: ICCID }];
      if (sql.startsWith('UPDATE') || sql.startsWith('DELETE')) return [[], updateCount];
      return [];
    }),
  };
  return { manager: manager as unknown as EntityManager, statements };
}

function setup() {
  const keys = new ServiceKeys(config as unknown as BaseConfig, 'vsim');
  const store = new CardStore(keys, new Clock(), config, {});
  const card = VirtualUicc.manufacture({ iccid: ICCID, isdKeyset: new Scp03KeySet(0x30, randomBytes(16), randomBytes(16), randomBytes(16)), memoryQuotaBytes: 32 * 1024 });
  return { keys, store, card };
}

async function stored(store: CardStore, card: VirtualUicc): Promise<SeRow> {
  const { manager } = fakeManager();
  expect(await store.insert(manager, card, { kind: 'uicc', carrier: 'docomo', generation: 'docomo-uim-5g', isdAid: 'A000000151000000' })).toBe(true);
  const [, , , , , image, revision, token] = (manager.query as jest.Mock).mock.calls[0][1];
  const now = new Date();
  return { seid: ICCID, kind: 'uicc', carrier: 'docomo', generation: 'g', isdAid: 'A000000151000000', sealedImage: image, revision, stateToken: token, handsetOn: true, powerChangedAt: null, manufacturedAt: now, updatedAt: now };
}

describe('CardStore (cache of card instances validated by the state token)', () => {
  it('hands out the cached instance while the token matches, and the stored image once it does not', async () => {
    const { store, card } = setup();
    const sim = await stored(store, card);
    const first = store.checkout(sim);
    expect(first.card).toBe(card);
    expect(first.reloaded).toBe(false);
    first.transmit(buildSelect(JpkiAid.DEFAULT_INSTANCE).toBytes(), 'ota');
    const { manager, statements } = fakeManager();
    await store.save(manager, first);
    expect(statements).toEqual(['UPDATE sim']);
    expect(store.checkout(sim).card).toBe(card); // sim.stateToken was updated by save

    const elsewhere = { ...sim, stateToken: 'another-replica' };
    const reloaded = store.checkout(elsewhere);
    expect(reloaded.reloaded).toBe(true);
    expect(reloaded.card).not.toBe(card);
    expect(reloaded.card.toImage()).toEqual(card.toImage());
  });

  it('forgets an instance whose transaction did not save it, and one whose save found another revision', async () => {
    const { store, card } = setup();
    const sim = await stored(store, card);
    const touched = store.checkout(sim);
    touched.transmit(buildSelect().toBytes(), 'handset');
    expect(store.peek(ICCID)).toBeUndefined(); // never returned: the next checkout reloads
    expect(store.checkout(sim).reloaded).toBe(true);

    const again = setup();
    const sim2 = await stored(again.store, again.card);
    const handle = again.store.checkout(sim2);
    handle.reset();
    await expect(again.store.save(fakeManager(0).manager, handle)).rejects.toThrow(/no longer/);
    expect(again.store.peek(ICCID)).toBeUndefined();
  });

  it('returns an untouched instance to the cache on release, and deletes stale handset channels after a reload', async () => {
    const { store, card } = setup();
    const sim = await stored(store, card);
    store.release(store.checkout(sim));
    expect(store.peek(ICCID)).toBe(card);
    const reloaded = store.checkout({ ...sim, stateToken: 'x' });
    const { manager, statements } = fakeManager();
    await store.save(manager, reloaded);
    expect(statements).toEqual(['UPDATE sim', 'DELETE FROM']);
  });
});
