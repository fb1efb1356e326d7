/**
 * docker-compose's Kafka authenticates like the local broker (tools/kafka/server.properties): SASL on every listener,
 * SCRAM-SHA-512 per service principal, ACLs, the admin and the controller as super users. There is no Docker daemon on
 * the build machines, so compose never runs here: this file interpolates docker-compose.yml as compose would (with a
 * generated .env) and runs the two shell scripts it holds with bash, the broker's tools replaced by a recording stand-in:
 * the JAAS file the broker would start with, and the SCRAM users the kafka-users job would create.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { KAFKA_ADMIN_PRINCIPAL } from '@jpki/contracts';
import { envFileVariables, generateDeploymentKeys, kafkaPasswordVariable, type DeploymentKeys } from '../src/keys';
import { SERVICE_INSTANCES } from '../src/services';
import { isObject, parseYamlFile, type Json, type JsonObject } from './kustomize-lite';

const ROOT = resolve(__dirname, '../..');
const obj = (v: Json | undefined): JsonObject => (isObject(v) ? v : {});
const list = (v: Json | undefined): Json[] => (Array.isArray(v) ? v : []);

/** Compose's interpolation: `$$` is a literal `$`; `${VAR}`, `${VAR:-default}`, `${VAR:?error}`, `$VAR`; any other `$` is an error. */
function interpolate(value: string, vars: Record<string, string>): string {
  return value.replace(/\$(\$|\{([A-Za-z_][A-Za-z0-9_]*)(?::([-?])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*)|)/g, (whole, _m, braced?: string, op?: string, arg?: string, bare?: string) => {
    if (whole === '$$') return '$';
    const name = braced ?? bare;
    if (!name) throw new Error(`invalid interpolation at "${value.slice(value.indexOf(whole), value.indexOf(whole) + 20)}"`);
    if (vars[name] !== undefined && vars[name] !== '') return vars[name];
    if (op === '?') throw new Error(`${name}: ${arg}`);
    return op === '-' ? (arg ?? '') : '';
  });
}

const compose = obj(parseYamlFile(join(ROOT, 'docker-compose.yml'), { merge: true })[0]);
const services = obj(compose['services']);
const env = (service: string, vars: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(obj(obj(services[service])['environment'])).map(([k, v]) => [k, interpolate(String(v), vars)]));
const script = (service: string, vars: Record<string, string>): string => {
  const command = list(obj(services[service])['command']).map(String);
  expect(command.slice(0, 2)).toEqual(['bash', '-c']);
  return interpolate(command[2], vars);
};
/** key=value lines of a properties file. */
const properties = (text: string): Record<string, string> =>
  Object.fromEntries(
    text
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#') && l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
/** The broker property an apache/kafka image variable stands for (KAFKA_ dropped, `_` → `.`, `__` → `_`, `___` → `-`). */
const propertyOf = (variable: string): string =>
  variable
    .slice('KAFKA_'.length)
    .replace(/(?<!_)_(?!_)/g, '.')
    .replace(/___/g, '-')
    .replace(/__/g, '_')
    .toLowerCase();

describe('docker-compose Kafka: SASL like the local broker', () => {
  let keys: DeploymentKeys;
  let vars: Record<string, string>;
  let work: string;

  beforeAll(() => {
    keys = generateDeploymentKeys({ deviceAttestation: { roots: 'c3RhbmQtaW4=', vendorJson: '{}' } });
    vars = envFileVariables(keys);
    work = mkdtempSync(join(tmpdir(), 'compose-kafka-'));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  const broker = () => Object.fromEntries(Object.entries(env('kafka', vars)).filter(([k]) => k.startsWith('KAFKA_') && !['KAFKA_OPTS', 'KAFKA_HEAP_OPTS'].includes(k)).map(([k, v]) => [propertyOf(k), v]));

  it('authenticates on every listener and authorises with ACLs, the admin and the controller as super users, as tools/kafka/server.properties', () => {
    const local = properties(readFileSync(join(ROOT, 'tools/kafka/server.properties'), 'utf8'));
    const b = broker();
    const protocols = b['listener.security.protocol.map'].split(',').map((e) => e.split(':'));
    expect(protocols.map(([name]) => name).sort()).toEqual(['CONTROLLER', 'EXTERNAL', 'INTERNAL']);
    for (const [name, protocol] of protocols) expect({ name, protocol }).toEqual({ name, protocol: 'SASL_PLAINTEXT' });
    for (const k of ['authorizer.class.name', 'allow.everyone.if.no.acl.found', 'super.users', 'auto.create.topics.enable', 'sasl.mechanism.controller.protocol']) expect({ k, compose: b[k] }).toEqual({ k, compose: local[k] });
    expect(b['listener.name.controller.sasl.enabled.mechanisms']).toBe('PLAIN');
    expect(b['listener.name.internal.sasl.enabled.mechanisms']).toBe('SCRAM-SHA-512,PLAIN');
    expect(b['listener.name.external.sasl.enabled.mechanisms']).toBe('SCRAM-SHA-512');
    expect(b['sasl.mechanism.inter.broker.protocol']).toBe('PLAIN');
    expect(b['inter.broker.listener.name']).toBe('INTERNAL');
    // The image drops variable values holding '=': the login configuration is not in a KAFKA_* variable.
    for (const [k, v] of Object.entries(b)) expect({ k, equals: v.includes('=') }).toEqual({ k, equals: false });
  });

  it('starts the broker with a JAAS file that lets in the controller and, over PLAIN, the admin alone; SCRAM for everyone else', () => {
    const secrets = join(work, 'secrets');
    const start = script('kafka', vars).replace(/\/etc\/kafka\/secrets/g, secrets).replace('exec /etc/kafka/docker/run', 'exit 0');
    mkdirSync(secrets, { recursive: true });
    const run = spawnSync('bash', ['-c', start], { env: { PATH: process.env['PATH'] ?? '', ...env('kafka', vars) }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
    expect(env('kafka', vars)['KAFKA_OPTS']).toBe('-Djava.security.auth.login.config=/etc/kafka/secrets/jaas.conf');
    const jaas = readFileSync(join(secrets, 'jaas.conf'), 'utf8');
    const sections = Object.fromEntries([...jaas.matchAll(/^(\S+)\s*\{([\s\S]*?)^\};/gm)].map((m) => [m[1], m[2]]));
    expect(Object.keys(sections).sort()).toEqual(['controller.KafkaServer', 'external.KafkaServer', 'internal.KafkaServer']);
    const plainUsers = (section: string) => [...section.matchAll(/\buser_([\w-]+)="([^"]*)"/g)].map((m) => [m[1], m[2]]);
    expect(plainUsers(sections['controller.KafkaServer'])).toEqual([['controller', keys.kafkaControllerPassword]]);
    expect(sections['controller.KafkaServer']).toContain(`username="controller" password="${keys.kafkaControllerPassword}"`);
    expect(plainUsers(sections['internal.KafkaServer'])).toEqual([[KAFKA_ADMIN_PRINCIPAL, keys.kafkaAdminPassword]]);
    expect(sections['internal.KafkaServer']).toContain(`username="${KAFKA_ADMIN_PRINCIPAL}" password="${keys.kafkaAdminPassword}"`);
    expect(sections['internal.KafkaServer']).toContain('org.apache.kafka.common.security.scram.ScramLoginModule required;');
    expect(sections['external.KafkaServer'].trim()).toBe('org.apache.kafka.common.security.scram.ScramLoginModule required;');
    // The health check's client: the admin over PLAIN.
    const admin = properties(readFileSync(join(secrets, 'admin.properties'), 'utf8'));
    expect(admin).toEqual({
      'security.protocol': 'SASL_PLAINTEXT',
      'sasl.mechanism': 'PLAIN',
      'sasl.jaas.config': `org.apache.kafka.common.security.plain.PlainLoginModule required username="${KAFKA_ADMIN_PRINCIPAL}" password="${keys.kafkaAdminPassword}";`,
    });
    expect(list(obj(obj(services['kafka'])['healthcheck'])['test']).join(' ')).toContain('--command-config /etc/kafka/secrets/admin.properties');
  });

  it('creates a SCRAM-SHA-512 user for the admin and every service principal, with the password that service is given', () => {
    // kafka-configs stand-in: records each call, and lists the users it was given for --describe.
    const log = join(work, 'calls');
    const stub = join(work, 'kafka-configs.sh');
    writeFileSync(
      stub,
      `#!/usr/bin/env bash\necho "$*" >> ${log}\nif [[ " $* " == *" --describe "* ]]; then sed -n "s/.*--entity-name \\([^ ]*\\) --alter.*/SCRAM credential configs for user-principal '\\1' are SCRAM-SHA-512=iterations=4096/p" ${log}; fi\n`,
    );
    chmodSync(stub, 0o755);
    const job = script('kafka-users', vars).replace(/\/opt\/kafka\/bin\/kafka-configs\.sh/g, stub);
    const run = spawnSync('bash', ['-c', job], { env: { PATH: process.env['PATH'] ?? '', ...env('kafka-users', vars) }, encoding: 'utf8', cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
    expect({ status: run.status, stdout: run.stdout.trim(), stderr: run.stderr }).toEqual({ status: 0, stdout: 'SCRAM-SHA-512 users ready', stderr: '' });
    const calls = readFileSync(log, 'utf8').trim().split('\n');
    const created = Object.fromEntries(
      calls.flatMap((c) => {
        const m = /--entity-name (\S+) --alter --add-config SCRAM-SHA-512=\[password=([0-9a-f]+)\]$/.exec(c);
        return m ? [[m[1], m[2]]] : [];
      }),
    );
    expect(created).toEqual({
      [KAFKA_ADMIN_PRINCIPAL]: keys.kafkaAdminPassword,
      ...Object.fromEntries(SERVICE_INSTANCES.map((s) => [s.identity, keys.services[s.identity].kafkaPassword])),
    });
    // Always as the admin, over PLAIN, against the internal listener.
    for (const c of calls) expect(c).toMatch(/^--bootstrap-server kafka:19092 --command-config \/tmp\/admin\.properties --entity-type users /);
    // Each service logs in as the user made for it, with the same password.
    for (const s of SERVICE_INSTANCES) {
      const e = env(s.identity, vars);
      expect([e['KAFKA_SASL_MECHANISM'], e['KAFKA_SASL_USERNAME'], e['KAFKA_SASL_PASSWORD']]).toEqual(['scram-sha-512', s.identity, created[s.identity]]);
      expect(vars[kafkaPasswordVariable(s.identity)]).toBe(created[s.identity]);
    }
    // The topic job (topics and ACLs) authenticates as the admin, with SCRAM, after this job.
    const topics = env('topics', vars);
    expect([topics['KAFKA_SASL_MECHANISM'], topics['KAFKA_SASL_USERNAME'], topics['KAFKA_SASL_PASSWORD']]).toEqual(['scram-sha-512', KAFKA_ADMIN_PRINCIPAL, keys.kafkaAdminPassword]);
  });

  it('refuses to start without the passwords of .env', () => {
    expect(() => env('kafka', {})).toThrow(/KAFKA_ADMIN_PASSWORD: generate .env first/);
    expect(() => env('kafka-users', { ...vars, [kafkaPasswordVariable('vsim')]: '' })).toThrow(/VSIM_KAFKA_SASL_PASSWORD/);
  });
});
