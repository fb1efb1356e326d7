import { Command, InvalidArgumentError, Option } from 'commander';
import type { AuditEntryView, CaseView } from '@jpki/contracts';
import { CommandError, commandErrorOf, CONTEXT_OPTION, HttpJson, loadPlatformContext, runCommand, type OperatorGrant, type PlatformContext } from '@jpki/jpki-client';
import { OPERATOR_ROLES } from '@jpki/service-kit';
import { SERVICE_NAME as LIFECYCLE_SERVICE_NAME } from './config';

/**
 * Operator CLI of the lifecycle service: one command per operator action, case lookup, the audit log and the
 * simulation clock. Human-readable output by default, `--json` for scripts (errors too: `{ error, reason }`). The
 * platform context (`--context` / JPKI_CONTEXT, default the local platform) gives the lifecycle URL and the token; on the
 * local platform a token is minted from `OPERATOR_TOKEN_PRIVATE_KEY` when none is given (`--as`, `--roles`; `--carrier`
 * makes it a carrier's operator, who acts on that carrier's phones only).
 *
 *   node -r @swc-node/register apps/lifecycle/src/cli.ts report-loss --msisdn +819012345678 --reason "holder called" --wait
 */

export interface Io {
  out(line: string): void;
  env: NodeJS.ProcessEnv;
  fetch: typeof fetch;
}

const positive = (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('a positive number');
  return n;
};

export function table(head: string[], rows: string[][]): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (c: string[]) => c.map((v, i) => (v ?? '').padEnd(widths[i])).join('  ').trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
}

export function describeCase(c: CaseView): string[] {
  const lines = [
    `case        ${c.caseId}`,
    `kind        ${c.kind} (${c.trigger}, opened by ${c.openedBy} at ${c.openedAt})`,
    `status      ${c.status}${c.step ? ` at step ${c.step}` : ''}${c.closedAt ? ` (closed ${c.closedAt})` : ''}`,
    `phone       serial ${c.serial ?? '-'}  iccid ${c.iccid ?? '-'}  msisdn ${c.msisdn ?? '-'}  person ${c.personId ?? '-'}`,
    `why         ${c.reason ?? '-'}${c.revocationReason ? `  [${c.revocationReason}]` : ''}`,
    `certificate ${c.outcomes.certificate}`,
    `service     ${c.outcomes.service}`,
  ];
  if (c.failure) lines.push(`failure     ${c.failure.reason}${c.failure.detail ? `: ${c.failure.detail}` : ''}`);
  if (Object.keys(c.result).length > 0) lines.push(`result      ${JSON.stringify(c.result)}`);
  if (c.saga && c.saga.history.length > 0) {
    lines.push('', ...table(['AT', 'STEP', 'OUTCOME', 'STATE'], c.saga.history.map((h) => [h.at, h.step ?? '-', h.outcome, h.toState])));
  }
  return lines;
}

export function buildCli(io: Io): Command {
  const program = new Command('lifecycle')
    .description('Lifecycle operator CLI: loss, found, revocation, cases, audit, simulation clock')
    .option(CONTEXT_OPTION.flags, CONTEXT_OPTION.description)
    .option('--as <sub>', 'operator name when minting a dev token from OPERATOR_TOKEN_PRIVATE_KEY', 'cli-operator')
    .option('--roles <list>', 'roles of a minted dev token', 'operator,auditor,integrator')
    .option('--carrier <carrier>', 'scope a minted dev token to one carrier (docomo, kddi, softbank); unscoped: platform staff')
    .option('--json', 'print the JSON answer')
    .showHelpAfterError()
    .exitOverride();

  const opts = () => program.opts<{ context?: string; as: string; roles: string; carrier?: string; json?: boolean }>();
  let loaded: PlatformContext | undefined;
  const context = () => (loaded ??= loadPlatformContext({ file: opts().context, env: io.env }));
  const grant = (roles: string): OperatorGrant => ({ sub: opts().as, roles, audience: [LIFECYCLE_SERVICE_NAME], carrier: opts().carrier });
  const api = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const ctx = context();
    const http = new HttpJson(ctx.url('lifecycle'), ctx.operatorToken(grant(opts().roles)), undefined, undefined, { fetch: io.fetch });
    try {
      return await http.request<T>(method, path, body);
    } catch (error) {
      throw commandErrorOf(method, path, error);
    }
  };
  const emit = (value: unknown, human: () => string[]) => (opts().json ? io.out(JSON.stringify(value, null, 2)) : human().forEach((l) => io.out(l)));
  const waitForCase = async (id: string, timeoutS: number): Promise<CaseView> => {
    const deadline = Date.now() + timeoutS * 1000;
    for (;;) {
      const c = await api<CaseView>('GET', `/cases/${id}`);
      if (c.status !== 'open' || Date.now() > deadline) return c;
      await new Promise((r) => setTimeout(r, 250));
    }
  };

  const selector = (cmd: Command) =>
    cmd
      .addOption(new Option('--serial <hex>', 'the phone certificate serial'))
      .addOption(new Option('--iccid <iccid>', 'the SIM'))
      .addOption(new Option('--msisdn <e164>', 'the subscriber’s number, e.g. +819012345678'))
      .addOption(new Option('--person <uuid>', 'the holder (their active phone)'));
  type Selector = { serial?: string; iccid?: string; msisdn?: string; person?: string };
  const target = (o: Selector) => {
    const chosen = { serial: o.serial, iccid: o.iccid, msisdn: o.msisdn, personId: o.person };
    if (Object.values(chosen).filter(Boolean).length !== 1) throw new CommandError('name the phone with exactly one of --serial, --iccid, --msisdn, --person');
    return Object.fromEntries(Object.entries(chosen).filter(([, v]) => v));
  };
  const action = (name: string, path: string, description: string, extra?: (cmd: Command) => Command) => {
    const cmd = selector(program.command(name).description(description))
      .requiredOption('--reason <text>', 'why: who reported it, how it was checked (kept in the audit log)')
      .option('--wait [seconds]', 'wait until the case is no longer open', positive);
    (extra ? extra(cmd) : cmd).action(async (o: Selector & { reason: string; wait?: number | true; revocationReason?: string }) => {
      const opened = await api<CaseView>('POST', path, { ...target(o), reason: o.reason, ...(o.revocationReason ? { revocationReason: o.revocationReason } : {}) });
      const shown = o.wait ? await waitForCase(opened.caseId, o.wait === true ? 60 : o.wait) : opened;
      emit(shown, () => [`${name}: accepted (HTTP 202)`, ...describeCase(shown)]);
    });
  };

  action('report-loss', '/loss-reports', 'report a phone lost: certificateHold at the CA, SSD locked by the carrier');
  action('report-found', '/found-reports', 'report a lost phone found: hold released, SSD unlocked');
  action('revoke', '/revocations', 'revoke a phone certificate for good and delete its SSD', (cmd) =>
    cmd.addOption(new Option('--revocation-reason <reason>', 'RFC 5280 reason').choices(['keyCompromise', 'cessationOfOperation', 'affiliationChanged', 'privilegeWithdrawn', 'unspecified'])),
  );

  program
    .command('case <caseId>')
    .description('a case with its outcomes and saga history')
    .option('--wait [seconds]', 'wait until it is no longer open', positive)
    .action(async (id: string, o: { wait?: number | true }) => {
      const c = o.wait ? await waitForCase(id, o.wait === true ? 60 : o.wait) : await api<CaseView>('GET', `/cases/${id}`);
      emit(c, () => describeCase(c));
    });

  program
    .command('cases')
    .description('cases, newest first')
    .option('--person <uuid>')
    .option('--iccid <iccid>')
    .option('--serial <hex>')
    .option('--kind <kind>', 'loss, found, revocation, device-change, sim-swap, contract-end, card-revocation, card-renewal, renewal')
    .option('--status <status>', 'open, waiting-device, completed, failed')
    .option('--limit <n>', 'max rows', positive, 50)
    .action(async (o: { person?: string; iccid?: string; serial?: string; kind?: string; status?: string; limit: number }) => {
      const q = new URLSearchParams(
        Object.entries({ personId: o.person, iccid: o.iccid, serial: o.serial, kind: o.kind, status: o.status, limit: String(o.limit) }).filter(([, v]) => v) as [string, string][],
      );
      const rows = await api<CaseView[]>('GET', `/cases?${q}`);
      emit(rows, () =>
        table(
          ['CASE', 'KIND', 'STATUS', 'CERTIFICATE', 'SERVICE', 'SERIAL', 'ICCID', 'OPENED'],
          rows.map((c) => [c.caseId, c.kind, c.status, c.outcomes.certificate, c.outcomes.service, c.serial ?? '-', c.iccid ?? '-', c.openedAt]),
        ),
      );
    });

  selector(program.command('phone').description('the phone as the lifecycle service sees it')).action(async (o: Selector) => {
    const phone = await api<Record<string, unknown>>('GET', `/phones?${new URLSearchParams(target(o) as Record<string, string>)}`);
    emit(phone, () => Object.entries(phone).map(([k, v]) => `${k.padEnd(22)}${typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)}`));
  });

  program
    .command('audit')
    .description('the operator audit log (role auditor)')
    .option('--actor <actor>', 'e.g. operator:alice')
    .option('--action <action>', 'e.g. loss.report')
    .option('--case <caseId>')
    .option('--outcome <prefix>', 'e.g. refused')
    .option('--after <id>', 'entries after this id', positive)
    .option('--limit <n>', 'max rows', positive, 100)
    .action(async (o: { actor?: string; action?: string; case?: string; outcome?: string; after?: number; limit: number }) => {
      const q = new URLSearchParams(
        Object.entries({ actor: o.actor, action: o.action, caseId: o.case, outcome: o.outcome, after: o.after ? String(o.after) : undefined, limit: String(o.limit) }).filter(
          ([, v]) => v,
        ) as [string, string][],
      );
      const rows = await api<AuditEntryView[]>('GET', `/audit?${q}`);
      emit(rows, () =>
        table(
          ['ID', 'WHEN', 'ACTOR', 'ACTION', 'TARGET', 'OUTCOME', 'CODE', 'WHY'],
          rows.map((e) => [String(e.id), e.occurredAt, e.actor, e.action, e.target ?? '-', e.outcome, String(e.statusCode || ''), e.reason ?? '-']),
        ),
      );
    });

  program
    .command('clock')
    .description('the environment’s simulation clock')
    .action(async () => {
      const c = await api<{ now: string; machineNow: string; offsetDays: number }>('GET', '/clock');
      emit(c, () => [`simulated now  ${c.now}`, `machine now    ${c.machineNow}`, `offset         ${c.offsetDays.toFixed(3)} days`]);
    });

  program
    .command('clock-advance')
    .description('move the simulation clock forward (role integrator); every service follows')
    .option('--days <n>', 'days to add', positive)
    .option('--ms <n>', 'milliseconds to add', positive)
    .requiredOption('--reason <text>', 'why (kept in the audit log)')
    .action(async (o: { days?: number; ms?: number; reason: string }) => {
      if ((o.days === undefined) === (o.ms === undefined)) throw new CommandError('give exactly one of --days, --ms');
      const c = await api<{ now: string; offsetDays: number }>('POST', '/clock', { ...(o.days ? { advanceDays: o.days } : { advanceMs: Math.round(o.ms ?? 0) }), reason: o.reason });
      emit(c, () => [`simulated now  ${c.now}  (offset ${c.offsetDays.toFixed(3)} days)`]);
    });

  program
    .command('renewal-sweep')
    .description('run the renewal and expiry sweep now')
    .action(async () => {
      const r = await api<{ renewalCases: string[]; expiredPhones: string[]; at: string }>('POST', '/renewals/sweep');
      emit(r, () => [`sweep at ${r.at}: ${r.renewalCases.length} renewal case(s), ${r.expiredPhones.length} newly expired phone(s)`, ...r.renewalCases.map((id) => `  renewal ${id}`), ...r.expiredPhones.map((s) => `  expired ${s}`)]);
    });

  program
    .command('token')
    .description('mint a development operator token for the lifecycle service from OPERATOR_TOKEN_PRIVATE_KEY (local platform only)')
    .option('--roles <list>', `comma-separated (${OPERATOR_ROLES.join(',')})`, 'operator')
    .action((o: { roles: string }) => {
      const token = context().developmentToken(grant(o.roles), 3600);
      emit({ token }, () => [token]);
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
