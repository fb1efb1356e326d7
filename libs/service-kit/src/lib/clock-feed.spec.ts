import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { SimulationClockSet, type Envelope } from '@jpki/contracts';
import { ProducerIdentity, TrustedProducers, type KafkaConnection, type MessagingOptions } from '@jpki/messaging';
import { Clock, clockMoveRefusal, DAY_MS } from './clock';
import { ClockFeed } from './clock-feed';
import type { BaseConfig } from './config';

const key = () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { pkcs8: privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64'), spki: publicKey.export({ format: 'der', type: 'spki' }).toString('base64') };
};

describe('simulation clock feed: only the clock authority moves the clock, forward and within the bound', () => {
  const lifecycle = key();
  const spTsm = key();
  const trusted = TrustedProducers.parse(`lifecycle=${lifecycle.spki},sp-tsm=${spTsm.spki}`);
  const feedWith = (maxJumpDays = 365) => {
    const clock = new Clock();
    const options = { consumerGroup: 'g', trustedProducers: trusted } as unknown as MessagingOptions;
    const feed = new ClockFeed(clock, {} as KafkaConnection, options, { SIMULATION_CLOCK_MAX_JUMP_DAYS: maxJumpDays } as BaseConfig);
    return { clock, feed };
  };
  const message = (offsetDays: number, producer = 'lifecycle', signer: { pkcs8: string } | null = lifecycle): string => {
    const e: Envelope = {
      messageId: randomUUID(),
      type: SimulationClockSet.type,
      schemaVersion: 1,
      correlationId: 'c',
      causationId: null,
      occurredAt: new Date().toISOString(),
      producer,
      payload: { offsetMs: offsetDays * DAY_MS, setBy: 'test' },
    };
    return JSON.stringify(signer ? { ...e, signature: ProducerIdentity.fromBase64Pkcs8(producer, signer.pkcs8).sign(e) } : e);
  };

  it('applies a move signed by lifecycle', () => {
    const { clock, feed } = feedWith();
    feed.apply(message(10));
    expect(clock.offset).toBe(10 * DAY_MS);
  });

  it('ignores an unsigned move, one signed by another service, and one claiming lifecycle with another key', () => {
    const { clock, feed } = feedWith();
    feed.apply(message(10, 'lifecycle', null));
    feed.apply(message(10, 'sp-tsm', spTsm));
    feed.apply(message(10, 'lifecycle', spTsm));
    feed.apply('not json');
    expect(clock.offset).toBe(0);
  });

  it('ignores moves backwards and jumps beyond the bound, at every replay', () => {
    const { clock, feed } = feedWith(100);
    for (const days of [50, 20, 151, 150]) feed.apply(message(days));
    expect(clock.offset).toBe(150 * DAY_MS);
    const replay = feedWith(100);
    for (const days of [50, 20, 151, 150, 400]) replay.feed.apply(message(days));
    expect(replay.clock.offset).toBe(150 * DAY_MS);
  });

  it('ignores everything when the clock is off', () => {
    const { clock, feed } = feedWith(0);
    feed.apply(message(1));
    expect(clock.offset).toBe(0);
  });

  it('gives POST /clock and the feed the same precise reasons', () => {
    expect(clockMoveRefusal(0, DAY_MS, 0)).toMatchObject({ reason: 'CLOCK_DISABLED' });
    expect(clockMoveRefusal(DAY_MS, DAY_MS, 10 * DAY_MS)).toMatchObject({ reason: 'CLOCK_NOT_FORWARD' });
    expect(clockMoveRefusal(0, 11 * DAY_MS, 10 * DAY_MS)).toEqual({
      reason: 'CLOCK_JUMP_TOO_LARGE',
      detail: 'a jump of 11 days exceeds the maximum of 10 days (SIMULATION_CLOCK_MAX_JUMP_DAYS); move in several steps',
    });
    expect(clockMoveRefusal(0, 10 * DAY_MS, 10 * DAY_MS)).toBeNull();
  });
});
