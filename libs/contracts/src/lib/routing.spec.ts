import {
  CARRIERS,
  OBSERVER_IDENTITIES,
  ContractEnded,
  EligibilityRequested,
  HoldReleaseRequested,
  IdentityProofingCompleted,
  OtaScriptRequested,
  PLATFORM_SERVICE_IDENTITIES,
  RevocationRequested,
  SimulationClockSet,
  Topics,
  allTopics,
  defineMessage,
  messageDefinition,
  perCarrierRoutes,
  registeredMessageTypes,
  route,
  routeOn,
  topicAccess,
  topicOf,
} from '../index';
import { z } from 'zod/v4';

const access = (topic: string) => topicAccess().find((t) => t.topic === topic)!;

describe('routing declaration (every message type: its topics and who may emit it there)', () => {
  it('names at least one producer on every route, and only known service identities', () => {
    const producers = new Set<string>([...PLATFORM_SERVICE_IDENTITIES, 'probe']);
    const known = new Set<string>([...producers, ...OBSERVER_IDENTITIES]);
    for (const type of registeredMessageTypes()) {
      for (const r of messageDefinition(type)!.routes) {
        expect(r.producers.length).toBeGreaterThan(0);
        for (const p of r.producers) expect(producers.has(p)).toBe(true);
      }
    }
    for (const t of allTopics()) for (const c of t.consumers) expect(known.has(c)).toBe(true);
  });

  it('lets only the CA emit its outcomes, only lifecycle move the clock, and splits the CA commands by producer', () => {
    expect(IdentityProofingCompleted.routes).toEqual([{ topic: Topics.caEvents, producers: ['jpki-ca'] }]);
    expect(SimulationClockSet.routes).toEqual([{ topic: Topics.platformClock, producers: ['lifecycle'] }]);
    expect(access('ca.commands').messages).toEqual(
      expect.arrayContaining([
        { type: 'ca.identity-proofing.requested', producers: ['sp-tsm'] },
        { type: 'ca.certificate-issuance.requested', producers: ['sp-tsm'] },
        { type: RevocationRequested.type, producers: ['lifecycle', 'sp-tsm'] },
        { type: HoldReleaseRequested.type, producers: ['lifecycle'] },
      ]),
    );
  });

  it('routes per-carrier messages to that carrier’s topic, emitted by that carrier’s services only', () => {
    for (const carrier of CARRIERS) {
      const events = routeOn(ContractEnded, Topics.mnoEvents[carrier].name);
      expect(events).toEqual({ topic: Topics.mnoEvents[carrier], producers: [`mno-tsm-${carrier}`] });
      expect(routeOn(EligibilityRequested, Topics.mnoCommands[carrier].name)?.producers).toEqual(['sp-tsm']);
      expect(routeOn(OtaScriptRequested, Topics.otaDown[carrier].name)?.producers).toEqual([`mno-tsm-${carrier}`]);
      expect(access(`mno.${carrier}.events`)).toMatchObject({ carrier, producers: [`mno-tsm-${carrier}`], consumers: ['lifecycle', 'sp-tsm'] });
    }
    expect(routeOn(IdentityProofingCompleted, Topics.mnoEvents.docomo.name)).toBeUndefined();
    expect(() => topicOf(ContractEnded, { carrier: 'au' } as never)).toThrow(/no known carrier/);
  });

  it('lists, per topic, who may produce and who consumes (data for Kafka ACLs)', () => {
    const all = topicAccess();
    expect(all.map((t) => t.topic).sort()).toEqual(allTopics().map((t) => t.name).sort());
    expect(access('ca.commands')).toMatchObject({ role: 'commands', producers: ['lifecycle', 'sp-tsm'], consumers: ['jpki-ca'] });
    expect(access('ca.events')).toMatchObject({ role: 'events', producers: ['jpki-ca'], consumers: ['console', 'lifecycle', 'rp-bank', 'sp-tsm'] });
    // The console reads the event topics for its live feed and dashboards (an observer: it produces nothing).
    for (const t of ['lifecycle.events', 'sptsm.events', 'ca.events']) expect(access(t).consumers).toContain('console');
    for (const t of all) if (!t.topic.endsWith('.events')) expect(t.consumers).not.toContain('console');
    expect(access('platform.clock')).toMatchObject({ role: 'broadcast', producers: ['lifecycle'] });
    expect(access('platform.clock').consumers).toHaveLength(PLATFORM_SERVICE_IDENTITIES.length);
    // every topic a consumer reads carries at least one message type someone may produce, and vice versa
    for (const t of all) if (t.consumers.length > 0) expect(t.producers.length).toBeGreaterThan(0);
  });

  it('refuses an ambiguous declaration', () => {
    const schema = z.object({ carrier: z.enum(CARRIERS) });
    expect(() => defineMessage({ type: 'test.none', schemaVersion: 1, routes: [], schema, key: () => 'k' })).toThrow(/no route/);
    expect(() =>
      defineMessage({ type: 'test.two', schemaVersion: 1, routes: [...route(Topics.caEvents, ['jpki-ca']).routes, ...route(Topics.caCommands, ['sp-tsm']).routes], schema, key: () => 'k' }),
    ).toThrow(/more than one route/);
    const partial = perCarrierRoutes(Topics.mnoEvents, () => ['sp-tsm']).routes.slice(0, 2);
    expect(() => defineMessage({ type: 'test.partial', schemaVersion: 1, routes: partial, schema, key: () => 'k' })).toThrow(/each carrier/);
  });
});
