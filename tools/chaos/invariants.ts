/**
 * The platform's invariants, checked from the services' databases and dead-letter topics after a run (nothing lost,
 * nothing doubled, nothing stuck) and, given OPERATOR_TOKEN (role auditor), from the running services: the cards at
 * vsim against the TSM records, the CA's OCSP answers and CRL judged by OpenSSL. Exits 1 on any violation.
 *
 *   [OPERATOR_TOKEN=…] npm run invariants [-- --schema-prefix demo_ --topic-prefix demo. --grace 30 --json]
 *     [--ca-url http://127.0.0.1:7100 --vsim-url http://127.0.0.1:7400 --certificates 50]
 */
import { Command } from 'commander';
import { LOCAL_KAFKA, useLocalKafkaAdmin } from '@jpki/messaging';
import { localEndpoints } from '@jpki/jpki-client';
import { OpenSslWorkspace } from '@jpki/openssl-judge';
import { checkPlatform, printResults, vsimCards } from '@jpki/operations';

interface Options {
  schemaPrefix: string;
  topicPrefix: string;
  deadLetters: boolean;
  grace: string;
  json?: boolean;
  caUrl: string;
  vsimUrl: string;
  certificates: string;
}

const program = new Command('invariants')
  .description('check the platform invariants from its databases and dead-letter topics')
  .option('--schema-prefix <prefix>', 'prefix of the service schemas', 'demo_')
  .option('--topic-prefix <prefix>', 'prefix of the topics', 'demo.')
  .option('--no-dead-letters', 'leave out the dead-letter checks (no broker)')
  .option('--grace <seconds>', 'work younger than this may still be in flight', '30')
  .option('--json', 'machine-readable output')
  .option('--ca-url <url>', 'the CA (OCSP responder, CRLs)', localEndpoints().ca)
  .option('--vsim-url <url>', 'vsim (its operator API shows the cards)', localEndpoints().vsim)
  .option('--certificates <n>', 'how many certificates OpenSSL judges against OCSP and the CRL', '50')
  .action(async (o: Options) => {
    const token = process.env['OPERATOR_TOKEN'];
    if (!token) console.error('invariants: OPERATOR_TOKEN (role auditor) not set: the card, OCSP and CRL checks are left out');
    const openssl = token ? await OpenSslWorkspace.create() : undefined;
    useLocalKafkaAdmin();
    const results = await checkPlatform({
      databaseUrl: process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres',
      brokers: (process.env['KAFKA_BROKERS'] ?? LOCAL_KAFKA).split(','),
      schemaPrefix: o.schemaPrefix,
      topicPrefix: o.deadLetters ? o.topicPrefix : undefined,
      graceSeconds: Number(o.grace),
      services: token && openssl ? { caUrl: o.caUrl, cards: vsimCards(o.vsimUrl, token), openssl, certificateSample: Number(o.certificates) } : undefined,
    }).finally(() => openssl?.dispose());
    if (o.json) console.log(JSON.stringify(results, null, 2));
    else printResults(results, console.log);
    process.exitCode = results.every((r) => r.passed) ? 0 : 1;
  });

program.parseAsync().catch((err: Error) => {
  console.error(`invariants: ${err.message}`);
  process.exit(2);
});
