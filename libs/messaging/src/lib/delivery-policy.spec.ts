import { generateKeyPairSync } from 'node:crypto';
import type { KafkaMessage, Producer } from 'kafkajs';
import { Headers } from '@jpki/contracts';
import { DeliveryPolicy } from './delivery-policy';
import { ProducerIdentity } from './producer-identity';

const identity = () => new ProducerIdentity('probe', generateKeyPairSync('ed25519').privateKey);

/** Captures what the policy sends to the retry topic. */
function capture() {
  const sent: KafkaMessage[] = [];
  const producer = {
    send: async ({ messages }: { messages: { key: Buffer | null; value: Buffer | null; headers: Record<string, string> }[] }) => {
      for (const m of messages) sent.push({ key: m.key, value: m.value, headers: m.headers, offset: '0', timestamp: '0', attributes: 0 } as unknown as KafkaMessage);
    },
  } as unknown as Producer;
  return { sent, producer };
}

const original = { key: Buffer.from('k'), value: Buffer.from('{"genuine":true}'), headers: {}, offset: '7', timestamp: '0', attributes: 0 } as unknown as KafkaMessage;

describe('retry headers are the consumer\'s own', () => {
  it('accepts the retries it scheduled and refuses edited, unstamped, foreign or far-future ones', async () => {
    const me = identity();
    const { sent, producer } = capture();
    const policy = new DeliveryPolicy(producer, '', 'probe', { maxAttempts: 5, maxDelayMs: 30_000 }, me);
    await policy.retryOrDeadLetter('platform.probe', original, new Error('transient'));
    const [retry] = sent;
    expect(policy.retryRefusal('platform.probe', retry)).toBeNull();

    const withHeaders = (h: Record<string, string>) => ({ ...retry, headers: { ...retry.headers, ...h } }) as KafkaMessage;
    const due = Number(retry.headers![Headers.retryAt]!.toString());
    expect(policy.retryRefusal('platform.probe', withHeaders({ [Headers.retryAt]: String(due + 1000) }))).toMatch(/not stamped/);
    expect(policy.retryRefusal('platform.probe', withHeaders({ [Headers.attempt]: '3' }))).toMatch(/not stamped/);
    expect(policy.retryRefusal('platform.other', retry)).toMatch(/not stamped/);
    expect(policy.retryRefusal('platform.probe', { ...retry, value: Buffer.from('{"swapped":true}') } as KafkaMessage)).toMatch(/not stamped/);
    const { [Headers.retryStamp]: _, ...unstamped } = retry.headers as Record<string, string>;
    expect(policy.retryRefusal('platform.probe', { ...retry, headers: unstamped } as KafkaMessage)).toMatch(/not stamped/);
    expect(new DeliveryPolicy(producer, '', 'probe', {}, identity()).retryRefusal('platform.probe', retry)).toMatch(/not stamped/);
    expect(policy.retryRefusal('platform.probe', withHeaders({ [Headers.retryAt]: String(Date.now() + 86_400_000) }))).toMatch(/beyond/);
    expect(policy.retryRefusal('platform.probe', withHeaders({ [Headers.attempt]: '9' }))).toMatch(/attempt/);
  });

  it('without an identity still bounds the wait by its own backoff', () => {
    const policy = new DeliveryPolicy(capture().producer, '', 'probe', { maxDelayMs: 30_000 });
    const at = (retryAt: number) => ({ ...original, headers: { [Headers.attempt]: '2', [Headers.retryAt]: String(retryAt) } }) as unknown as KafkaMessage;
    expect(policy.retryRefusal('platform.probe', at(Date.now() + 1000))).toBeNull();
    expect(policy.retryRefusal('platform.probe', at(Date.now() + 365 * 86_400_000))).toMatch(/beyond/);
  });
});
