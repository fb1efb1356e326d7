import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Kafka } from 'kafkajs';
import { CARRIERS, Headers, Topics, type Carrier } from '@jpki/contracts';
import type { ServiceProcess, ServiceStack } from './service-stack';
import type { Random } from './random';

const run = promisify(execFile);
const ROOT = resolve(__dirname, '../../../..');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export type FaultKind = 'sigkill' | 'sigkill-two' | 'mno-tsm-outage' | 'ota-degradation' | 'poison' | 'broker-restart' | 'postgres-restart';

/** A fault at a chosen moment, on a chosen target (scenario files). */
export type ScheduledFault =
  | { kind: 'kill'; service: string; downMs: number }
  | { kind: 'carrier-outage'; carrier: Carrier; downMs: number }
  | { kind: 'ota-degradation'; carrier: Carrier; downMs: number; latencyMs?: number; lossRate?: number }
  | { kind: 'broker-restart' | 'postgres-restart' | 'poison' };

export interface FaultRecord {
  at: number;
  kind: FaultKind;
  targets: string[];
  recoveredMs: number;
}

export interface FaultPlan {
  /** One carrier's MNO-TSM (every instance) down for a minute. */
  mnoTsmOutage: boolean;
  /** Stop and start the local Kafka broker (tools/kafka/kafka.sh): only when nobody else uses it. */
  brokerRestart: boolean;
  /** Restart the local PostgreSQL cluster (pg_ctlcluster): only when nobody else uses it. */
  postgresRestart: boolean;
  /** Now and then a carrier's OTA bearer degraded for half a minute or more: a latency spike and a loss burst. */
  otaDegradation?: boolean;
  /** An integrator's token for vsim's OTA bearer control (`PUT /ota-bearer/<carrier>`): needed for OTA degradations. */
  integratorToken?: string;
}

/** A degraded bearer: a transit well over the carriers' usual 60-140 ms, and almost a third of the messages lost each way. */
const DEGRADED_BEARER = { latencyMs: 1_500, lossRate: 0.3 };

/**
 * Faults on a schedule: SIGKILL of one random service instance or two at once (each restarted after a few seconds),
 * one poison record first (malformed JSON on ca.events, which must land in the dead-letter topic and nowhere else), and,
 * when allowed, a carrier's OTA bearer degraded now and then, a carrier's MNO-TSM down for a minute, one broker restart
 * and one PostgreSQL restart per run.
 */
export class FaultInjector {
  readonly injected: FaultRecord[] = [];
  /** Message ids of the poison records injected: their dead letters are expected. */
  readonly poison: string[] = [];
  private readonly onceDone = new Set<FaultKind>();

  constructor(
    private readonly stack: ServiceStack,
    private readonly random: Random,
    private readonly plan: FaultPlan,
    private readonly kafka: Kafka,
    private readonly topicPrefix: string,
    private readonly log: (line: string) => void,
    private readonly started = Date.now(),
  ) {}

  async injectOne(): Promise<void> {
    const kind = this.nextKind();
    await this.record(kind, () => this.inject(kind));
  }

  /** One fault a scenario names: every instance of a service killed, a carrier's MNO-TSM down, a broker or database restart. */
  async injectScheduled(fault: ScheduledFault): Promise<FaultRecord> {
    switch (fault.kind) {
      case 'kill':
        return this.record('sigkill', () => this.killService(fault.service, fault.downMs));
      case 'carrier-outage':
        return this.record('mno-tsm-outage', () => this.mnoTsmOutage(fault.carrier, fault.downMs));
      case 'ota-degradation':
        return this.record('ota-degradation', () => this.degradeBearer(fault.carrier, fault.downMs, { latencyMs: fault.latencyMs ?? DEGRADED_BEARER.latencyMs, lossRate: fault.lossRate ?? DEGRADED_BEARER.lossRate }));
      default:
        return this.record(fault.kind, () => this.inject(fault.kind));
    }
  }

  private async record(kind: FaultKind, inject: () => Promise<string[]>): Promise<FaultRecord> {
    const t0 = Date.now();
    const targets = await inject();
    const record = { at: Math.round((t0 - this.started) / 1000), kind, targets, recoveredMs: Date.now() - t0 };
    this.injected.push(record);
    this.log(`fault ${kind} ${targets.join(' + ')}: recovered in ${(record.recoveredMs / 1000).toFixed(1)} s`);
    return record;
  }

  /** Brings back any instance a fault left down (e.g. one whose restart failed while the broker was away). */
  async restoreAll(): Promise<void> {
    for (const s of this.stack.services.values()) if (!s.running) await s.restart();
  }

  /** The poison record first (so every run checks its dead letters), then mostly SIGKILLs, each other fault once. */
  private nextKind(): FaultKind {
    if (!this.onceDone.has('poison')) return 'poison';
    const allowed: Record<'mno-tsm-outage' | 'broker-restart' | 'postgres-restart', boolean> = {
      'mno-tsm-outage': this.plan.mnoTsmOutage,
      'broker-restart': this.plan.brokerRestart,
      'postgres-restart': this.plan.postgresRestart,
    };
    for (const [kind, ok] of Object.entries(allowed) as [FaultKind, boolean][]) {
      if (ok && !this.onceDone.has(kind) && this.random.next() < 0.25) return kind;
    }
    if (this.plan.otaDegradation && this.random.next() < 0.08) return 'ota-degradation';
    return this.random.next() < 0.3 ? 'sigkill-two' : 'sigkill';
  }

  private async inject(kind: FaultKind): Promise<string[]> {
    switch (kind) {
      case 'sigkill':
        return this.kill(1);
      case 'sigkill-two':
        return this.kill(2);
      case 'poison':
        this.onceDone.add(kind);
        return this.sendPoison();
      case 'mno-tsm-outage':
        this.onceDone.add(kind);
        return this.mnoTsmOutage();
      case 'ota-degradation':
        return this.degradeBearer(this.random.pick(CARRIERS), this.random.between(30_000, 60_000), DEGRADED_BEARER);
      case 'broker-restart':
        this.onceDone.add(kind);
        await run('bash', [resolve(ROOT, 'tools/kafka/kafka.sh'), 'stop'], { cwd: ROOT });
        await sleep(this.random.between(3_000, 8_000));
        await run('bash', [resolve(ROOT, 'tools/kafka/kafka.sh'), 'start'], { cwd: ROOT });
        return ['kafka'];
      case 'postgres-restart': {
        this.onceDone.add(kind);
        const version = readdirSync('/etc/postgresql').sort((a, b) => Number(a) - Number(b)).at(-1) ?? '';
        await run('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'restart', '--', '-m', 'fast']);
        return [`postgresql ${version}/main`];
      }
    }
  }

  private async sendPoison(): Promise<string[]> {
    const messageId = randomUUID();
    const producer = this.kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    try {
      await producer.send({ topic: this.topicPrefix + Topics.caEvents.name, acks: -1, messages: [{ key: 'chaos-poison', value: '{"poison":', headers: { [Headers.messageId]: messageId } }] });
    } finally {
      await producer.disconnect();
    }
    this.poison.push(messageId);
    return [`${Topics.caEvents.name} ${messageId}`];
  }

  private mnoTsmOutage(carrier: Carrier = this.random.pick(CARRIERS), downMs = 60_000): Promise<string[]> {
    return this.killService(`mno-tsm-${carrier}`, downMs);
  }

  /** The carrier's OTA bearer at vsim degraded for `downMs`, then restored to its configured profile. */
  private async degradeBearer(carrier: Carrier, downMs: number, degraded: { latencyMs: number; lossRate: number }): Promise<string[]> {
    const vsim = this.stack.services.get('vsim');
    if (!vsim || !this.plan.integratorToken) throw new Error('an OTA degradation needs vsim and an integrator token for its bearer control');
    const bearer = (method: 'PUT' | 'DELETE', body?: object) =>
      fetch(`${vsim.url}/ota-bearer/${carrier}`, {
        method,
        headers: { authorization: `Bearer ${this.plan.integratorToken}`, 'content-type': 'application/json' },
        ...(body ? { body: JSON.stringify(body) } : {}),
      }).then((res) => {
        if (!res.ok) throw new Error(`vsim ${method} /ota-bearer/${carrier}: HTTP ${res.status}`);
      });
    await bearer('PUT', degraded);
    await sleep(downMs);
    // A vsim killed meanwhile came back with the configured bearer; restoring it again changes nothing.
    await bearer('DELETE');
    return [`ota ${carrier} ${degraded.latencyMs} ms loss ${degraded.lossRate} for ${Math.round(downMs / 1000)} s`];
  }

  /** Every instance of the service (its replicas too) SIGKILLed, restarted after `downMs`. */
  private async killService(service: string, downMs: number): Promise<string[]> {
    const instances = [...this.stack.services.values()].filter((s) => s.spec.name === service || s.spec.name.startsWith(`${service}#`));
    if (instances.length === 0) throw new Error(`no running service ${service}`);
    await Promise.all(instances.map((v) => v.stop('SIGKILL')));
    await sleep(downMs);
    await Promise.all(instances.map((v) => v.restart()));
    return instances.map((v) => v.spec.name);
  }

  private async kill(count: number): Promise<string[]> {
    const victims: ServiceProcess[] = [];
    const candidates = [...this.stack.services.values()].filter((s) => s.running);
    while (victims.length < count && candidates.length > 0) victims.push(...candidates.splice(Math.floor(this.random.next() * candidates.length), 1));
    await Promise.all(victims.map((v) => v.stop('SIGKILL')));
    await sleep(this.random.between(1_000, 4_000));
    await Promise.all(victims.map((v) => v.restart()));
    return victims.map((v) => v.spec.name);
  }
}
