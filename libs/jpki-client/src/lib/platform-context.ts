import { readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod/v4';
import { CARRIERS, type Carrier } from '@jpki/contracts';
import { developmentOperatorToken } from '@jpki/crypto';
import { DEFAULT_PORTS, type PlatformEndpoints, type PlatformServiceName } from './endpoints';
import { LocatedFileError, parseLocatedYaml, type LocatedIssue } from './located-yaml';

/**
 * A platform context: which deployment the CLIs reach (each service's base URL) and where the operator token comes
 * from (a file or an environment variable; a token itself is never written in the file). Without a file, the local
 * development platform: today's localhost ports, JPKI_OPERATOR_TOKEN, or a token minted from OPERATOR_TOKEN_PRIVATE_KEY.
 */

export const PLATFORM_SERVICES = Object.keys(DEFAULT_PORTS) as PlatformServiceName[];
export const DEFAULT_TOKEN_ENV = 'JPKI_OPERATOR_TOKEN';
const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost', '[::1]'];
const SECRET_REFUSED = 'a secret is never written in a context file: name the file or environment variable holding it (tokenFile, tokenEnv)';
const SECRET_KEYS = /^(token|bearer|jwt|accessToken|access_token|idToken|password|secret|databaseUrl)$/i;
const JWT_SHAPE = /^eyJ[\w-]+\.[\w-]+\.[\w-]*$/;

const serviceUrl = z.string().superRefine((value, ctx) => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    ctx.addIssue({ code: 'custom', message: `not a URL: "${value}"` });
    return;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') ctx.addIssue({ code: 'custom', message: `an http or https URL, not ${url.protocol}` });
  if (url.username || url.password) ctx.addIssue({ code: 'custom', message: 'credentials in a URL are refused: name a tokenFile or tokenEnv' });
  if (url.search || url.hash) ctx.addIssue({ code: 'custom', message: 'a base URL has no query or fragment' });
});

const services = z
  .strictObject(Object.fromEntries(PLATFORM_SERVICES.map((s) => [s, serviceUrl.optional()])) as Record<PlatformServiceName, z.ZodOptional<typeof serviceUrl>>, {
    error: (i) => (i.code === 'unrecognized_keys' ? `unknown service (known: ${PLATFORM_SERVICES.join(', ')})` : undefined),
  })
  .refine((s) => Object.values(s).some(Boolean), { error: 'name at least one service URL', when: (payload) => payload.issues.length === 0 });

const operatorToken = z
  .object(
    {
    tokenFile: z.string().min(1).optional().describe('a file holding the bearer token (relative to the context file; ~ is the home directory)'),
    tokenEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'an environment variable name' }).optional().describe('an environment variable holding the bearer token'),
    mintDevelopmentTokens: z.boolean().optional().describe('mint tokens from OPERATOR_TOKEN_PRIVATE_KEY when no token is given (local platform only)'),
    },
    { error: (i) => (i.input === undefined ? 'where the operator token comes from is missing: operatorToken.tokenFile or operatorToken.tokenEnv' : undefined) },
  )
  .strict()
  .refine((t) => (t.tokenFile === undefined) !== (t.tokenEnv === undefined), { error: 'name exactly one token source: tokenFile or tokenEnv' });

const operations = z
  .object({
    kafkaBrokers: z.array(z.string().regex(/^[^\s:/]+:\d{1,5}$/, { error: 'host:port' })).min(1).describe('the bootstrap brokers (credentials: KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD)'),
    topicPrefix: z.string().optional().describe('the KAFKA_TOPIC_PREFIX of the deployment'),
    schemaPrefix: z.string().optional().describe('the prefix of the service schemas'),
    databaseUrlEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'an environment variable name' }).optional(),
    databaseUrlFile: z.string().min(1).optional(),
  })
  .strict()
  .refine((o) => (o.databaseUrlEnv === undefined) !== (o.databaseUrlFile === undefined), { error: 'name exactly one database URL source: databaseUrlEnv or databaseUrlFile' });

const contextSchema = z
  .object({
    name: z.string().min(1),
    services,
    operatorToken,
    operations: operations.optional().describe('what dlq and invariants reach: the Kafka brokers and the database'),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (!c.operatorToken?.mintDevelopmentTokens) return;
    for (const [service, url] of Object.entries(c.services)) {
      if (url && !LOOPBACK_HOSTS.includes(new URL(url).hostname)) {
        ctx.addIssue({ code: 'custom', path: ['operatorToken', 'mintDevelopmentTokens'], message: `only for a local platform, but ${service} is on ${new URL(url).hostname}` });
      }
    }
  });

/** Why a context cannot serve a command: an invalid file, no URL for the service, no token, a refused minting. */
export type PlatformContextRefusal = 'CONTEXT_INVALID' | 'SERVICE_NOT_IN_CONTEXT' | 'TOKEN_MISSING' | 'DATABASE_URL_MISSING' | 'TOKEN_MINTING_REFUSED';

/** A context file that is not valid, or a context that cannot give what a command needs. */
export class PlatformContextError extends LocatedFileError {
  constructor(
    problems: string[],
    readonly reason: PlatformContextRefusal = 'CONTEXT_INVALID',
  ) {
    super(problems);
  }
}

export type PlatformContextFile = z.output<typeof contextSchema>;

/** What a CLI asks the token for: used only to mint a development token; a given token is used as it is. */
export interface OperatorGrant {
  sub: string;
  roles: string;
  audience: readonly string[];
  carrier?: string;
}

/** Where the operations tools (dlq, invariants) reach the platform's Kafka and PostgreSQL. */
export interface PlatformOperations {
  kafkaBrokers: string[];
  topicPrefix: string;
  schemaPrefix: string;
  databaseUrl: string;
}

/** The deployment a CLI reaches: service URLs and the operator token. */
export interface PlatformContext {
  readonly name: string;
  /** The context file, or `built-in local context`. */
  readonly source: string;
  /**
   * The local development platform (`mintDevelopmentTokens`, every URL on this machine): tokens may be minted from
   * OPERATOR_TOKEN_PRIVATE_KEY and the tools may use the local broker's admin credentials.
   */
  readonly local: boolean;
  url(service: PlatformServiceName): string;
  /** Every service's URL (for the device CLI, which reaches most of them). */
  endpoints(): PlatformEndpoints;
  operatorToken(grant: OperatorGrant): string;
  /** Kafka and PostgreSQL; on the local platform KAFKA_BROKERS, KAFKA_TOPIC_PREFIX and DATABASE_URL apply as they always did. */
  operations(): PlatformOperations;
  /** A development token for `grant`, minted from OPERATOR_TOKEN_PRIVATE_KEY (local context only). */
  developmentToken(grant: OperatorGrant, ttlSeconds: number): string;
}

/** The local development platform (`tools/contexts/local.yaml` says the same). */
export const LOCAL_PLATFORM_CONTEXT: PlatformContextFile = {
  name: 'local',
  services: Object.fromEntries(PLATFORM_SERVICES.map((s) => [s, `http://127.0.0.1:${DEFAULT_PORTS[s]}`])) as Record<PlatformServiceName, string>,
  operatorToken: { tokenEnv: DEFAULT_TOKEN_ENV, mintDevelopmentTokens: true },
  // The local broker's SASL listener (LOCAL_KAFKA of libs/messaging); the tools authenticate as its admin.
  operations: { kafkaBrokers: ['127.0.0.1:9094'], databaseUrlEnv: 'DATABASE_URL' },
};
const LOCAL_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

/** Refuses a secret written into the file: under a token-like key, or any value shaped like a JWT. */
function secretValues(raw: unknown, path: (string | number)[] = []): LocatedIssue[] {
  if (typeof raw === 'string') return JWT_SHAPE.test(raw) ? [{ path, message: SECRET_REFUSED }] : [];
  if (typeof raw !== 'object' || raw === null) return [];
  return Object.entries(raw).flatMap(([k, v]) =>
    SECRET_KEYS.test(k) ? [{ path: [...path, k], atKey: true, message: `"${k}": ${SECRET_REFUSED}` }] : secretValues(v, [...path, k]),
  );
}

/** Parses and validates a context file's text; errors name the file, line, column, key and reason. */
export function parsePlatformContext(text: string, file: string): PlatformContextFile {
  return parseLocatedYaml(text, file, contextSchema, { extraChecks: secretValues });
}

/**
 * The context of `file`, else of the file JPKI_CONTEXT names, else the local development platform.
 * Throws a PlatformContextError (`file:line:column: key: reason`) for a file that is not valid.
 */
export function loadPlatformContext(options: { file?: string; env?: NodeJS.ProcessEnv } = {}): PlatformContext {
  const env = options.env ?? process.env;
  const file = options.file ?? (env['JPKI_CONTEXT'] || undefined);
  if (!file) return platformContext(LOCAL_PLATFORM_CONTEXT, 'built-in local context', env);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new PlatformContextError([`${file}: cannot read the context file: ${(error as Error).message}`]);
  }
  try {
    return platformContext(parsePlatformContext(text, file), file, env);
  } catch (error) {
    if (error instanceof LocatedFileError) throw new PlatformContextError(error.problems);
    throw error;
  }
}

/**
 * The platform whose jpki-ca answers at `url`, every service on the same host and at the same offset from its default
 * port (the layout of `npm start` and the test stacks): the token from JPKI_OPERATOR_TOKEN, minted from
 * OPERATOR_TOKEN_PRIVATE_KEY and the local operations (broker, database) only on this machine.
 */
export function platformContextAt(url: string, env: NodeJS.ProcessEnv = process.env): PlatformContext {
  const base = new URL(url);
  const offset = (base.port ? Number(base.port) : DEFAULT_PORTS['jpki-ca']) - DEFAULT_PORTS['jpki-ca'];
  const at = (service: PlatformServiceName) => `${base.protocol}//${base.hostname}:${DEFAULT_PORTS[service] + offset}`;
  const local = LOOPBACK_HOSTS.includes(base.hostname);
  const file: PlatformContextFile = {
    name: base.host,
    services: Object.fromEntries(PLATFORM_SERVICES.map((s) => [s, at(s)])) as Record<PlatformServiceName, string>,
    operatorToken: { tokenEnv: DEFAULT_TOKEN_ENV, ...(local ? { mintDevelopmentTokens: true } : {}) },
    ...(local ? { operations: LOCAL_PLATFORM_CONTEXT.operations } : {}),
  };
  return platformContext(file, url, env);
}

function platformContext(c: PlatformContextFile, source: string, env: NodeJS.ProcessEnv): PlatformContext {
  const fail = (message: string, reason: PlatformContextRefusal) => new PlatformContextError([`${source}: ${message}`], reason);
  const url = (service: PlatformServiceName) => {
    const value = c.services[service];
    if (!value) throw fail(`context "${c.name}" names no URL for ${service}`, 'SERVICE_NOT_IN_CONTEXT');
    return value.replace(/\/+$/, '');
  };
  const mints = c.operatorToken.mintDevelopmentTokens === true;
  const developmentToken = (grant: OperatorGrant, ttlSeconds?: number) => {
    if (!mints) throw fail(`context "${c.name}" is a deployment: tokens are minted for the local development platform only`, 'TOKEN_MINTING_REFUSED');
    const token = developmentOperatorToken(env, grant, ttlSeconds);
    if (!token) throw fail(`no operator token: set ${c.operatorToken.tokenEnv ?? DEFAULT_TOKEN_ENV}, or OPERATOR_TOKEN_PRIVATE_KEY to mint one in development`, 'TOKEN_MISSING');
    return token;
  };
  return {
    name: c.name,
    source,
    local: mints,
    url,
    endpoints: () => {
      const missing = PLATFORM_SERVICES.filter((s) => !c.services[s]);
      if (missing.length > 0) throw fail(`context "${c.name}" names no URL for ${missing.join(', ')}`, 'SERVICE_NOT_IN_CONTEXT');
      return {
        ca: url('jpki-ca'),
        spTsm: url('sp-tsm'),
        mno: Object.fromEntries(CARRIERS.map((carrier) => [carrier, url(`mno-tsm-${carrier}`)])) as Record<Carrier, string>,
        seTsm: url('se-tsm'),
        vsim: url('vsim'),
        lifecycle: url('lifecycle'),
        rpBank: url('rp-bank'),
        rpTicketing: url('rp-ticketing'),
        rpEapplication: url('rp-eapplication'),
      };
    },
    operatorToken: (grant) => {
      if (c.operatorToken.tokenFile) return readSecretFile(resolveFile(c.operatorToken.tokenFile, source), 'token', (m) => fail(m, 'TOKEN_MISSING'));
      const given = env[c.operatorToken.tokenEnv ?? DEFAULT_TOKEN_ENV];
      if (given) return given.trim();
      if (mints) return developmentToken(grant);
      throw fail(`no operator token: ${c.operatorToken.tokenEnv} is not set`, 'TOKEN_MISSING');
    },
    operations: () => {
      const o = c.operations;
      if (!o) throw fail(`context "${c.name}" names no operations (Kafka brokers, database URL)`, 'SERVICE_NOT_IN_CONTEXT');
      const local = (name: string) => (mints ? env[name] || undefined : undefined);
      const databaseUrl = o.databaseUrlFile ? readSecretFile(resolveFile(o.databaseUrlFile, source), 'database URL', (m) => fail(m, 'DATABASE_URL_MISSING')) : (env[o.databaseUrlEnv ?? ''] ?? (mints ? LOCAL_DATABASE_URL : undefined));
      if (!databaseUrl) throw fail(`no database URL: ${o.databaseUrlEnv} is not set`, 'DATABASE_URL_MISSING');
      return {
        kafkaBrokers: local('KAFKA_BROKERS')?.split(',') ?? o.kafkaBrokers,
        topicPrefix: local('KAFKA_TOPIC_PREFIX') ?? o.topicPrefix ?? '',
        schemaPrefix: o.schemaPrefix ?? '',
        databaseUrl,
      };
    },
    developmentToken,
  };
}

function resolveFile(path: string, contextFile: string): string {
  if (path === '~' || path.startsWith('~/')) return join(homedir(), path.slice(1));
  return isAbsolute(path) ? path : resolve(dirname(contextFile), path);
}

/**
 * A secret kept in a file (a token, a database URL, the device CLI's signing password), trimmed: the file must be the
 * owner's alone (as ssh insists for keys) and not empty. `fail` makes the error thrown for a refusal (default: an Error).
 */
export function readSecretFile(path: string, what: string, fail: (message: string) => Error = (message) => new Error(message)): string {
  const cannotRead = (error: unknown) => fail(`cannot read ${what} file ${path}: ${(error as Error).message}`);
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch (error) {
    throw cannotRead(error);
  }
  if ((mode & 0o077) !== 0) throw fail(`${what} file ${path} is readable by others: chmod 600 it (mode ${(mode & 0o777).toString(8).padStart(4, '0')}; group and others may have no access)`);
  let secret: string;
  try {
    secret = readFileSync(path, 'utf8').trim();
  } catch (error) {
    throw cannotRead(error);
  }
  if (!secret) throw fail(`${what} file ${path} is empty`);
  return secret;
}
