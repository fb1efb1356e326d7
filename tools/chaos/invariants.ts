/**
 * The platform's invariants, checked from the services' databases and dead-letter topics after a run (nothing lost,
 * nothing doubled, nothing stuck) and, given an operator token (role auditor), from the running services: the cards at
 * vsim against the TSM records, the CA's OCSP answers and CRL judged by OpenSSL. Exits 1 on any violation, 2 when the
 * checks cannot run.
 *
 *   npm run invariants [-- --context <file> --schema-prefix demo_ --topic-prefix demo. --grace 30 --certificates 50 --json]
 *
 * The platform context (`--context` / JPKI_CONTEXT) names the brokers, the database, the jpki-ca and vsim URLs and the
 * token; without one, the local platform (`demo_`/`demo.` prefixes, JPKI_OPERATOR_TOKEN or a token minted from
 * OPERATOR_TOKEN_PRIVATE_KEY, the local broker's admin).
 */
import { Command } from 'commander';
import { CONTEXT_OPTION, loadPlatformContext, PlatformContextError, reportFailure, wantsJson, type PlatformContext } from '@jpki/jpki-client';
import { useLocalKafkaAdmin } from '@jpki/messaging';
import { OpenSslWorkspace } from '@jpki/openssl-judge';
import { checkPlatform, printResults, vsimCards } from '@jpki/operations';

interface Options {
  context?: string;
  schemaPrefix?: string;
  topicPrefix?: string;
  deadLetters: boolean;
  grace: string;
  json?: boolean;
  certificates: string;
}

/** The CA and vsim URLs and an auditor's token, or why the checks of the running services are left out. */
function runningServices(context: PlatformContext): { caUrl: string; vsimUrl: string; token: string } | string {
  try {
    const token = context.operatorToken({ sub: 'invariants', roles: 'auditor', audience: ['vsim'] });
    return { caUrl: context.url('jpki-ca'), vsimUrl: context.url('vsim'), token };
  } catch (error) {
    if (error instanceof PlatformContextError) return error.message;
    throw error;
  }
}

const program = new Command('invariants')
  .description('check the platform invariants from its databases and dead-letter topics')
  .option(CONTEXT_OPTION.flags, CONTEXT_OPTION.description)
  .option('--schema-prefix <prefix>', 'prefix of the service schemas (default: demo_ locally, else the context’s)')
  .option('--topic-prefix <prefix>', 'prefix of the topics (default: demo. locally, else the context’s)')
  .option('--no-dead-letters', 'leave out the dead-letter checks (no broker)')
  .option('--grace <seconds>', 'work younger than this may still be in flight', '30')
  .option('--json', 'machine-readable output')
  .option('--certificates <n>', 'how many certificates OpenSSL judges against OCSP and the CRL', '50')
  .action(async (o: Options) => {
    const context = loadPlatformContext({ file: o.context });
    const platform = context.operations();
    if (context.local) useLocalKafkaAdmin();
    const services = runningServices(context);
    if (typeof services === 'string') console.error(`invariants: the card, OCSP and CRL checks are left out: ${services}`);
    const openssl = typeof services === 'string' ? undefined : await OpenSslWorkspace.create();
    const results = await checkPlatform({
      databaseUrl: platform.databaseUrl,
      brokers: platform.kafkaBrokers,
      schemaPrefix: o.schemaPrefix ?? (context.local ? 'demo_' : platform.schemaPrefix),
      topicPrefix: o.deadLetters ? (o.topicPrefix ?? (context.local ? 'demo.' : platform.topicPrefix)) : undefined,
      graceSeconds: Number(o.grace),
      services: typeof services !== 'string' && openssl ? { caUrl: services.caUrl, cards: vsimCards(services.vsimUrl, services.token), openssl, certificateSample: Number(o.certificates) } : undefined,
    }).finally(() => openssl?.dispose());
    if (o.json) console.log(JSON.stringify(results, null, 2));
    else printResults(results, console.log);
    process.exitCode = results.every((r) => r.passed) ? 0 : 1;
  });

program.parseAsync().catch((err: Error) => {
  reportFailure(err, wantsJson(process.argv), { out: console.log, err: console.error }, 'invariants: ');
  process.exit(2);
});
