import { randomUUID } from 'node:crypto';
import {
  ServiceOperationCompleted,
  ServiceResumeRequested,
  ServiceSuspendRequested,
  ServiceTerminateRequested,
  Topics,
  type MessageDefinition,
  type PayloadInput,
} from '@jpki/contracts';
import { authenticate, createSubscriber, createTestCitizen, enrollAndAuthenticate, HttpJson, refusalOf, type Subscriber } from '@jpki/jpki-client';
import { rawProducer, signedEnvelope, startPlatformUnderTest, TopicWatcher, type PlatformUnderTest } from '@jpki/testing';
import { kafkaClient } from '@jpki/messaging';

interface SimView {
  handset: { power: string };
  card: { registry: { aid: string; kind: string; lifeCycle: { name: string } }[] };
}

/**
 * The SP-TSM's operations on a deployed service, as the lifecycle service asks for them (signed
 * as `lifecycle`): suspend (the carrier locks the SSD: the applet is unreachable), resume, and
 * terminate while the phone is off (queued, executed when it comes back).
 */
describe('e2e: SP-TSM service operations on a deployed phone', () => {
  let platform: PlatformUnderTest;
  let watcher: TopicWatcher;
  let producer: Awaited<ReturnType<typeof rawProducer>>;
  let subscriber: Subscriber;

  const sim = () => new HttpJson(platform.endpoints.vsim, platform.operatorToken).get<SimView>(`/sims/${subscriber.iccid}`);
  const spSsd = async () => (await sim()).card.registry.find((e) => e.kind === 'SSD');

  async function ask<D extends MessageDefinition>(def: D, payload: PayloadInput<D> & { requestId: string }): Promise<string[]> {
    const lifecycle = platform.keys.keys.get('lifecycle')!;
    await producer.sendTo(Topics.spTsmCommands.name, [signedEnvelope(def, payload, 'lifecycle', lifecycle.signingPkcs8)]);
    const outcomes: string[] = [];
    await watcher.waitFor((m) => {
      const body = m.json<{ type: string; payload: { requestId: string; outcome: string } }>();
      if (body.type === ServiceOperationCompleted.type && body.payload.requestId === payload.requestId) outcomes.push(body.payload.outcome);
      return outcomes.length > 0 && outcomes.at(-1) !== 'queued';
    }, 60_000, `${def.type} outcome`).catch(() => undefined);
    return outcomes;
  }

  beforeAll(async () => {
    platform = await startPlatformUnderTest();
    watcher = await new TopicWatcher(kafkaClient('e2e-watch', [process.env['KAFKA_BROKERS']!]), platform.topicPrefix).watch(Topics.spTsmEvents.name);
    producer = await rawProducer(platform.topicPrefix);
    const citizen = await createTestCitizen(platform.endpoints, platform.operatorToken);
    subscriber = await createSubscriber(platform.endpoints, platform.operatorToken, 'docomo');
    const { login } = await enrollAndAuthenticate(platform.endpoints, citizen, subscriber, 'docomo', 'on-card');
    expect(login?.ok).toBe(true);
  }, 180_000);

  afterAll(async () => {
    await watcher?.stop();
    await producer?.disconnect();
    await platform?.stop();
  });

  it('suspends (SSD locked, applet unreachable) and resumes (login works again)', async () => {
    const suspend = `susp-${randomUUID()}`;
    expect(await ask(ServiceSuspendRequested, { requestId: suspend, iccid: subscriber.iccid, reason: 'LOSS' })).toEqual(['done']);
    expect((await sim()).card.registry.find((e) => e.kind === 'SSD' && e.lifeCycle.name.includes('LOCKED'))).toBeDefined();
    // a LOCKED applet is not selectable: the handset's SELECT is answered 6A82
    expect(await refusalOf(authenticate(platform.endpoints, subscriber.handset, '2580'))).toMatchObject({
      status: 404,
      reason: 'APPLET_NOT_FOUND',
      details: { selectResponse: '6A82' },
    });

    const resume = `res-${randomUUID()}`;
    expect(await ask(ServiceResumeRequested, { requestId: resume, iccid: subscriber.iccid, reason: 'FOUND' })).toEqual(['done']);
    expect(await authenticate(platform.endpoints, subscriber.handset, '2580')).toMatchObject({ ok: true });
  }, 120_000);

  it('queues a termination while the phone is off and deletes the SSD when it comes back', async () => {
    const power = (p: 'on' | 'off') => new HttpJson(platform.endpoints.vsim, platform.operatorToken).put(`/sims/${subscriber.iccid}/handset`, { power: p });
    await power('off');
    const terminate = `term-${randomUUID()}`;
    const lifecycle = platform.keys.keys.get('lifecycle')!;
    await producer.sendTo(Topics.spTsmCommands.name, [
      signedEnvelope(ServiceTerminateRequested, { requestId: terminate, iccid: subscriber.iccid, reason: 'DEVICE_CHANGE', queueIfUnreachable: true }, 'lifecycle', lifecycle.signingPkcs8),
    ]);
    const outcome = (wanted: string) =>
      watcher.waitFor((m) => {
        const b = m.json<{ type: string; payload: { requestId: string; outcome: string } }>();
        return b.type === ServiceOperationCompleted.type && b.payload.requestId === terminate && b.payload.outcome === wanted;
      }, 60_000, `terminate ${wanted}`);
    await outcome('queued');
    expect(await spSsd()).toBeDefined();
    await power('on');
    await outcome('done');
    const registry = (await sim()).card.registry;
    expect(registry.filter((e) => e.kind === 'SSD')).toHaveLength(0);
    expect(registry.filter((e) => e.kind === 'APP')).toHaveLength(0);
  }, 120_000);

  it('answers not-deployed for a SIM without the service', async () => {
    expect(await ask(ServiceSuspendRequested, { requestId: `nd-${randomUUID()}`, iccid: '8981100000000099990', reason: 'LOSS' })).toEqual(['not-deployed']);
  });
});
