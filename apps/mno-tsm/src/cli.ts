import { Command, InvalidArgumentError } from 'commander';
import { CARRIERS, type Carrier } from '@jpki/contracts';
import { ApiError, HttpJson } from '@jpki/jpki-client';
import { developmentOperatorToken, OPERATOR_ROLES } from '@jpki/service-kit';
import { DEFAULT_HTTP_PORTS } from './config';

/**
 * Operator CLI of an MNO-TSM: seeds subscribers (each with a new SIM that the vSIM manufactures)
 * and runs the subscriber operations through the HTTP API. The token comes from `--token` /
 * `MNO_OPERATOR_TOKEN`, or is minted for development from the IdP key in `OPERATOR_TOKEN_PRIVATE_KEY`: a token of
 * one of the carrier's operators, for that carrier's MNO-TSM only.
 *
 *   node -r @swc-node/register apps/mno-tsm/src/cli.ts seed --carrier kddi --count 3 --mvno mineo --wait
 */

interface Io {
  out(line: string): void;
  env: NodeJS.ProcessEnv;
  fetch: typeof fetch;
}

interface Subscriber {
  msisdn: string;
  iccid: string;
  mvno: string | null;
  status: string;
  imei: string | null;
  sim: { generation: string; state: string };
  pendingSimSwap: string | null;
}

const positive = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 10_000) throw new InvalidArgumentError('a whole number 1-10000');
  return n;
};

export function table(rows: Subscriber[]): string[] {
  const head = ['MSISDN', 'ICCID', 'MVNO', 'GENERATION', 'SIM', 'STATUS', 'IMEI'];
  const cells = rows.map((r) => [r.msisdn, r.iccid, r.mvno ?? '-', r.sim.generation, r.sim.state, r.status, r.imei ?? '-']);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => c.map((v, i) => v.padEnd(widths[i])).join('  ').trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)];
}

export function buildCli(io: Io): Command {
  const program = new Command('mno-tsm')
    .description('MNO-TSM operator CLI (subscribers and SIM fleet)')
    .option('--carrier <carrier>', `carrier (${CARRIERS.join('|')})`, 'docomo')
    .option('--url <url>', 'base URL of the MNO-TSM (default http://127.0.0.1:<carrier port>)')
    .option('--token <jwt>', 'operator bearer token (or MNO_OPERATOR_TOKEN)')
    .option('--as <sub>', 'operator name when minting a dev token from OPERATOR_TOKEN_PRIVATE_KEY', 'cli-operator')
    .showHelpAfterError()
    .exitOverride();

  const carrierOption = (): Carrier => {
    const { carrier } = program.opts<{ carrier: string }>();
    if (!(CARRIERS as readonly string[]).includes(carrier)) throw new Error(`unknown carrier ${carrier}`);
    return carrier as Carrier;
  };
  /** A development token of one of the carrier's operators, valid on that carrier's MNO-TSM only. */
  const devToken = (roles: string, ttlSeconds?: number) => {
    const carrier = carrierOption();
    return developmentOperatorToken(io.env, { sub: program.opts<{ as: string }>().as, roles, audience: [`mno-tsm-${carrier}`], carrier }, ttlSeconds);
  };

  const api = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const o = program.opts<{ url?: string; token?: string }>();
    const base = o.url ?? `http://127.0.0.1:${DEFAULT_HTTP_PORTS[carrierOption()]}`;
    const token = o.token ?? io.env['MNO_OPERATOR_TOKEN'] ?? devToken('operator');
    if (!token) throw new Error('no operator token: pass --token, or set MNO_OPERATOR_TOKEN (or OPERATOR_TOKEN_PRIVATE_KEY to mint one in development)');
    try {
      return await new HttpJson(base, token, undefined, undefined, { fetch: io.fetch }).request<unknown>(method, path, body);
    } catch (error) {
      if (error instanceof ApiError) throw new Error(`${method} ${path}: HTTP ${error.status} ${error.reason} ${error.detail}`);
      throw error;
    }
  };
  const path = (msisdn: string, action?: string) => `/subscribers/${encodeURIComponent(msisdn)}${action ? `/${action}` : ''}`;
  const print = (rows: Subscriber[]) => table(rows).forEach((l) => io.out(l));
  const waitActive = async (rows: Subscriber[], timeoutMs: number): Promise<Subscriber[]> => {
    const deadline = Date.now() + timeoutMs;
    let current = rows;
    while (current.some((r) => r.status === 'provisioning' || r.pendingSimSwap) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      current = await Promise.all(current.map((r) => api('GET', path(r.msisdn)) as Promise<Subscriber>));
    }
    return current;
  };

  program
    .command('seed')
    .description('create subscribers, each with a new SIM manufactured in the vSIM')
    .option('--count <n>', 'how many', positive, 1)
    .option('--mvno <id>', 'MVNO hosted by the carrier (e.g. mineo on kddi)')
    .option('--generation <g>', 'SIM generation of the carrier profile')
    .option('--wait', 'wait until the SIMs are manufactured and the subscribers active')
    .action(async (o: { count: number; mvno?: string; generation?: string; wait?: boolean }) => {
      const created: Subscriber[] = [];
      for (let i = 0; i < o.count; i++) {
        created.push((await api('POST', '/subscribers', { ...(o.mvno ? { mvno: o.mvno } : {}), ...(o.generation ? { generation: o.generation } : {}) })) as Subscriber);
      }
      print(o.wait ? await waitActive(created, 60_000) : created);
    });

  program
    .command('list')
    .option('--status <s>', 'provisioning|active|suspended|cancelled')
    .option('--mvno <id>')
    .option('--limit <n>', 'max rows', positive, 100)
    .action(async (o: { status?: string; mvno?: string; limit: number }) => {
      const q = new URLSearchParams({ limit: String(o.limit), ...(o.status ? { status: o.status } : {}), ...(o.mvno ? { mvno: o.mvno } : {}) });
      print((await api('GET', `/subscribers?${q}`)) as Subscriber[]);
    });

  program.command('show <msisdn>').action(async (msisdn: string) => print([(await api('GET', path(msisdn))) as Subscriber]));
  program
    .command('sim-swap <msisdn>')
    .option('--generation <g>')
    .option('--wait', 'wait until the new SIM is in service')
    .action(async (msisdn: string, o: { generation?: string; wait?: boolean }) => {
      const sub = (await api('POST', path(msisdn, 'sim-swap'), o.generation ? { generation: o.generation } : {})) as Subscriber;
      print(o.wait ? await waitActive([sub], 60_000) : [sub]);
    });
  program
    .command('msisdn-change <msisdn>')
    .option('--to <msisdn>', 'the new number (allocated when absent)')
    .action(async (msisdn: string, o: { to?: string }) => print([(await api('POST', path(msisdn, 'msisdn-change'), o.to ? { newMsisdn: o.to } : {})) as Subscriber]));
  program
    .command('handset-change <msisdn>')
    .requiredOption('--imei <imei>')
    .action(async (msisdn: string, o: { imei: string }) => print([(await api('POST', path(msisdn, 'handset-change'), { imei: o.imei })) as Subscriber]));
  for (const action of ['contract-end', 'suspend', 'resume'] as const) {
    program
      .command(`${action} <msisdn>`)
      .option('--note <text>')
      .action(async (msisdn: string, o: { note?: string }) => print([(await api('POST', path(msisdn, action), o.note ? { note: o.note } : {})) as Subscriber]));
  }
  program
    .command('token')
    .description('mint a development token of one of the carrier’s operators (for its MNO-TSM) from OPERATOR_TOKEN_PRIVATE_KEY')
    .option('--roles <list>', `comma-separated (${OPERATOR_ROLES.join(',')})`, 'operator')
    .action((o: { roles: string }) => {
      const token = devToken(o.roles, 3600);
      if (!token) throw new Error('OPERATOR_TOKEN_PRIVATE_KEY is not set');
      io.out(token);
    });
  return program;
}

export async function runCli(argv: string[], io: Io): Promise<number> {
  try {
    await buildCli(io).parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    const e = err as { code?: string; exitCode?: number; message: string };
    if (e.code?.startsWith('commander.')) return e.exitCode ?? 1;
    process.stderr.write(`error: ${e.message}\n`);
    return 1;
  }
}

if (require.main === module) {
  runCli(process.argv.slice(2), { out: (l) => process.stdout.write(`${l}\n`), env: process.env, fetch }).then((code) => process.exit(code));
}
