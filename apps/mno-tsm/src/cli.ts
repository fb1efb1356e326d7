import { Command, InvalidArgumentError } from 'commander';
import { CARRIERS, type Carrier } from '@jpki/contracts';
import { CommandError, commandErrorOf, CONTEXT_OPTION, HttpJson, loadPlatformContext, runCommand, type OperatorGrant, type PlatformContext } from '@jpki/jpki-client';
import { OPERATOR_ROLES } from '@jpki/service-kit';

/**
 * Operator CLI of an MNO-TSM: seeds subscribers (each with a new SIM that the vSIM manufactures)
 * and runs the subscriber operations through the HTTP API. The platform context (`--context` / JPKI_CONTEXT, default
 * the local platform) gives the carrier's MNO-TSM URL and the token; on the local platform a token is minted from the
 * IdP key in `OPERATOR_TOKEN_PRIVATE_KEY` when none is given: one of the carrier's operators, for its MNO-TSM only.
 * Tables by default, `--json` for scripts (errors too: `{ error, reason }`).
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
    .option(CONTEXT_OPTION.flags, CONTEXT_OPTION.description)
    .option('--as <sub>', 'operator name when minting a dev token from OPERATOR_TOKEN_PRIVATE_KEY', 'cli-operator')
    .option('--json', 'machine-readable output')
    .showHelpAfterError()
    .exitOverride();

  const carrierOption = (): Carrier => {
    const { carrier } = program.opts<{ carrier: string }>();
    if (!(CARRIERS as readonly string[]).includes(carrier)) throw new CommandError(`unknown carrier ${carrier}`);
    return carrier as Carrier;
  };
  let loaded: PlatformContext | undefined;
  const context = () => (loaded ??= loadPlatformContext({ file: program.opts<{ context?: string }>().context, env: io.env }));
  /** One of the carrier's operators, on that carrier's MNO-TSM only (what a minted development token says). */
  const grant = (roles: string): OperatorGrant => {
    const carrier = carrierOption();
    return { sub: program.opts<{ as: string }>().as, roles, audience: [`mno-tsm-${carrier}`], carrier };
  };

  const api = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const ctx = context();
    const http = new HttpJson(ctx.url(`mno-tsm-${carrierOption()}`), ctx.operatorToken(grant('operator')), undefined, undefined, { fetch: io.fetch });
    try {
      return await http.request<unknown>(method, path, body);
    } catch (error) {
      throw commandErrorOf(method, path, error);
    }
  };
  const path = (msisdn: string, action?: string) => `/subscribers/${encodeURIComponent(msisdn)}${action ? `/${action}` : ''}`;
  const json = () => program.opts<{ json?: boolean }>().json === true;
  const print = (rows: Subscriber[]) => (json() ? io.out(JSON.stringify(rows, null, 2)) : table(rows).forEach((l) => io.out(l)));
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
    .description('mint a development token of one of the carrier’s operators (for its MNO-TSM) from OPERATOR_TOKEN_PRIVATE_KEY (local platform only)')
    .option('--roles <list>', `comma-separated (${OPERATOR_ROLES.join(',')})`, 'operator')
    .action((o: { roles: string }) => {
      const token = context().developmentToken(grant(o.roles), 3600);
      io.out(json() ? JSON.stringify({ token }) : token);
    });
  return program;
}

/** Exit 0 done, 1 failed, 2 refused (see runCommand). */
export function runCli(argv: string[], io: Io, err: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Promise<number> {
  return runCommand(buildCli(io), argv, { out: io.out, err });
}

if (require.main === module) {
  runCli(process.argv.slice(2), { out: (l) => process.stdout.write(`${l}\n`), env: process.env, fetch }).then((code) => process.exit(code));
}
