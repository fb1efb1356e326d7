import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, type WriteStream } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { generateServiceKeys, issueOperatorToken, type OperatorRole, type OperatorTokenRequest } from '@jpki/crypto';
import { SimulatedAttestationAuthority, type AttestationAuthorityJson } from '@jpki/iphone-device';
import { localKafkaEnv } from '@jpki/messaging';

const ROOT = resolve(__dirname, '../../../..');

export interface ServiceSpec {
  /** Service name (also its identity in signed messages), e.g. `mno-tsm-kddi`. */
  name: string;
  /** A replica's identity (keys, trust lists) when its name is its own, e.g. `sp-tsm#2`; the name otherwise. */
  identity?: string;
  /** App folder under apps/. */
  app: string;
  port: number;
  schema: string;
  env?: Record<string, string>;
}

type Keys = ReturnType<typeof generateServiceKeys>;

const BUILD_SCRIPT = join(ROOT, 'tools/build/build.js');
/** Apps built to dist/node, as tools/build/build.js lists them (the console's server stays on its TypeScript sources). */
const BUILT_APPS: readonly string[] = (createRequire(__filename)(BUILD_SCRIPT) as { APPS: string[] }).APPS;
let buildChecked = false;

/**
 * How a service process starts. By default from the compiled JavaScript in dist/node, as the image runs it. The first
 * start in this process runs `tools/build/build.js --if-stale`, which compiles only if a source any service is built
 * from changed since the last build (about 0.15 s when current, 1.5 s otherwise), so an edited source never runs
 * stale. `JPKI_RUN_FROM=ts` starts services from their TypeScript sources through @swc-node/register instead.
 * NODE_OPTIONS=--enable-source-maps (inherited) maps stack traces to the TypeScript lines; off by default, since node
 * then parses the source map of every file it loads. `JPKI_CPU_PROF=<dir>` writes a V8 CPU profile of every service
 * into <dir> when it stops (node refuses --cpu-prof in NODE_OPTIONS).
 */
export function serviceCommand(app: string): string[] {
  const profile = process.env['JPKI_CPU_PROF'];
  const args = serviceEntry(app);
  return profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`, ...args] : args;
}

function serviceEntry(app: string): string[] {
  if (process.env['JPKI_RUN_FROM'] === 'ts' || !BUILT_APPS.includes(app)) return ['-r', '@swc-node/register', join('apps', app, 'src', 'main.ts')];
  if (!buildChecked) {
    execFileSync(process.execPath, [BUILD_SCRIPT, '--if-stale', '--quiet', ...BUILT_APPS], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
    buildChecked = true;
  }
  const main = join('dist', 'node', 'apps', app, 'src', 'main.js');
  if (!existsSync(join(ROOT, main))) throw new Error(`${main} missing after the build`);
  return [main];
}

/** Identity and transport keys for a set of services, and the trust lists every service gets. */
export class StackKeys {
  readonly keys: Map<string, Keys>;
  /** Signs operator tokens (stands in for the organisation's identity provider). */
  readonly operatorIdp: Keys;
  /**
   * The SIMULATED iPhone platform vendor's attestation CA: jpki-ca trusts its root (DEVICE_ATTESTATION_ROOTS),
   * simulated iPhones use its signing key to obtain key attestations (they play the vendor).
   */
  readonly deviceAttestation: SimulatedAttestationAuthority;
  private readonly keks: Map<string, string>;

  constructor(
    names: string[],
    existing?: { services: Record<string, Keys>; operatorIdp: Keys; keks: Record<string, string>; deviceAttestation?: AttestationAuthorityJson },
  ) {
    this.keys = new Map(names.map((n) => [n, existing?.services[n] ?? generateServiceKeys()]));
    this.operatorIdp = existing?.operatorIdp ?? generateServiceKeys();
    this.keks = new Map(names.map((n) => [n, existing?.keks[n] ?? `local:${randomBytes(32).toString('base64')}`]));
    this.deviceAttestation = existing?.deviceAttestation ? SimulatedAttestationAuthority.fromJSON(existing.deviceAttestation) : SimulatedAttestationAuthority.generate();
  }

  toJSON(): { services: Record<string, Keys>; operatorIdp: Keys; keks: Record<string, string>; deviceAttestation: AttestationAuthorityJson } {
    return { services: Object.fromEntries(this.keys), operatorIdp: this.operatorIdp, keks: Object.fromEntries(this.keks), deviceAttestation: this.deviceAttestation.toJSON() };
  }

  /**
   * A token from this stack's IdP. By default valid for every service of the stack, unscoped (platform staff), for one
   * hour; `grant` narrows it (audience, carrier) or shapes it for an attack (issuer, lifetime, not-before).
   */
  operatorToken(sub: string, roles: OperatorRole[], grant: Partial<Omit<OperatorTokenRequest, 'sub' | 'roles'>> = {}): string {
    return issueOperatorToken(this.operatorIdp.signingPkcs8, { audience: [...this.keys.keys()], ...grant, sub, roles });
  }

  /** The keys of one service of the stack. */
  of(name: string): Keys {
    const own = this.keys.get(name);
    if (!own) throw new Error(`no keys for ${name}`);
    return own;
  }

  envFor(name: string): Record<string, string> {
    const own = this.of(name);
    const list = (pick: (k: Keys) => string) => [...this.keys].map(([n, k]) => `${n}=${pick(k)}`).join(',');
    return {
      SERVICE_SIGNING_KEY: own.signingPkcs8,
      SERVICE_TRANSPORT_KEY: own.transportPkcs8,
      TRUSTED_PRODUCER_KEYS: list((k) => k.signingSpki),
      TRANSPORT_PUBLIC_KEYS: list((k) => k.transportSpki),
      KEY_ENCRYPTION_KEYS: this.keks.get(name) ?? '',
      OPERATOR_TOKEN_PUBLIC_KEY: this.operatorIdp.signingSpki,
      ...(name === 'jpki-ca' ? { DEVICE_ATTESTATION_ROOTS: this.deviceAttestation.trustAnchorBase64 } : {}),
    };
  }
}

export interface StackOptions {
  databaseUrl: string;
  kafkaBrokers: string;
  topicPrefix: string;
  logDir: string;
  keys: StackKeys;
  /** Extra environment for every service (e.g. LOG_LEVEL). */
  env?: Record<string, string>;
}

/** One service as a separate OS process: start, wait until ready, SIGTERM/SIGKILL, restart. */
export class ServiceProcess {
  private child?: ChildProcess;
  private log?: WriteStream;
  private exited?: Promise<number | null>;
  restarts = 0;

  constructor(
    readonly spec: ServiceSpec,
    private readonly env: Record<string, string>,
    readonly logFile: string,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.spec.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  start(): this {
    if (this.running) return this;
    this.log = createWriteStream(this.logFile, { flags: 'a' });
    const child = spawn(process.execPath, serviceCommand(this.spec.app), {
      cwd: ROOT,
      env: { ...process.env, ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.pipe(this.log, { end: false });
    child.stderr?.pipe(this.log, { end: false });
    this.exited = new Promise((res) => child.once('exit', (code) => res(code)));
    this.child = child;
    return this;
  }

  async waitReady(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`${this.spec.name} exited during startup; see ${this.logFile}`);
      try {
        const res = await fetch(`${this.url}/health/ready`);
        if (res.ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`${this.spec.name} not ready after ${timeoutMs} ms; see ${this.logFile}`);
  }

  /** Graceful stop (SIGTERM) or crash (SIGKILL); resolves when the process is gone. */
  async stop(signal: 'SIGTERM' | 'SIGKILL' | 'SIGINT' = 'SIGTERM', timeoutMs = 20_000): Promise<number | null> {
    if (!this.child || !this.running) return this.child?.exitCode ?? null;
    this.child.kill(signal);
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), timeoutMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code ?? null;
  }

  async restart(): Promise<void> {
    this.restarts += 1;
    this.start();
    await this.waitReady();
  }
}

/** A set of services started as separate processes against one broker and database. */
export class ServiceStack {
  readonly services = new Map<string, ServiceProcess>();

  constructor(private readonly opts: StackOptions) {
    mkdirSync(opts.logDir, { recursive: true });
  }

  add(spec: ServiceSpec): ServiceProcess {
    const env = {
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: String(spec.port),
      DB_SCHEMA: spec.schema,
      DATABASE_URL: this.opts.databaseUrl,
      KAFKA_BROKERS: this.opts.kafkaBrokers,
      KAFKA_TOPIC_PREFIX: this.opts.topicPrefix,
      KAFKAJS_NO_PARTITIONER_WARNING: '1',
      ...localKafkaEnv(spec.identity ?? spec.name),
      ...this.opts.keys.envFor(spec.identity ?? spec.name),
      ...this.opts.env,
      ...spec.env,
    };
    const proc = new ServiceProcess(spec, env, join(this.opts.logDir, `${spec.name}.log`));
    this.services.set(spec.name, proc);
    return proc;
  }

  get(name: string): ServiceProcess {
    const s = this.services.get(name);
    if (!s) throw new Error(`no service ${name} in the stack`);
    return s;
  }

  async startAll(onReady?: (s: ServiceProcess) => void): Promise<void> {
    const all = [...this.services.values()];
    all.forEach((s) => s.start());
    await Promise.all(all.map(async (s) => { await s.waitReady(); onReady?.(s); }));
  }

  async stopAll(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    await Promise.all([...this.services.values()].map((s) => s.stop(signal)));
  }
}
